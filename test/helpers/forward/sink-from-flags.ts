import { Registry } from 'prom-client';
import winston from 'winston';
import { forwardOptionGroup } from '../../../src/sinks/forward/forward-options.js';
import { forwardSinkDefinition } from '../../../src/sinks/forward/forward-sink-definition.js';
import type { Sink } from '../../../src/sinks/sink.js';
import { parseOptions } from '../../../src/yargs-options.js';

/** A forward sink built from CLI flags exactly as `run` builds it (defaults, validation), without the agent. */
export function forwardSinkFromFlags(flags: string[]): Promise<Sink> {
  const argv = parseOptions(forwardOptionGroup.options, flags);
  const logger = winston.createLogger({ silent: true });
  return forwardSinkDefinition.create(forwardOptionGroup.read(argv), { logger, registry: new Registry() });
}
