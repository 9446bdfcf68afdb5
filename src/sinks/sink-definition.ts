import type { Logger } from 'winston';
import type { Registry } from 'prom-client';
import type { OptionGroup } from '../option-group.js';
import type { Sink } from './sink.js';

/** What a sink needs from the agent: somewhere to log and a registry for its own metrics. */
export interface SinkContext {
  logger: Logger;
  registry: Registry;
}

/**
 * How the CLI knows a sink: the `--sink` value that selects it, its options (validated only
 * when it is selected) and a factory. The factory imports the sink's module itself, so a sink's
 * client library (and its codecs, a noticeable part of start-up) loads only when it is selected.
 */
export interface SinkDefinition<C> {
  readonly name: string;
  readonly description: string;
  readonly optionGroup: OptionGroup<C>;
  /**
   * The --max-inflight-batches default for this sink, when it is not the agent's: a sink whose
   * client holds a copy of every message until it is acknowledged needs fewer batches in flight
   * to keep its far side busy than memory allows.
   */
  readonly maxInflightBatches?: number;
  /** Directories the sink writes to, by the flag that sets them: checked usable at start. */
  directories?(config: C): Array<readonly [flag: string, directory: string]>;
  create(config: C, context: SinkContext): Promise<Sink>;
}

/** Erases the config type so definitions of different sinks fit in one list. */
export type AnySinkDefinition = SinkDefinition<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
