import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_PATH } from '../test/helpers/agent-process.js';
import { AGENT_NODE_FLAGS } from './agent-node-flags.js';
import type { Corpus } from './corpus.js';
import { runMeasured, type MeasuredRun } from './measured-process.js';

import type { BaselineMode } from './baseline-reader.js';

const BASELINE_READER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'baseline-reader.js');

/** One catch-up of the whole corpus by the agent, as measured from outside. */
export interface CatchUpMeasurement {
  name: string;
  events: number;
  /** Decompressed bytes of the corpus. */
  bytes: number;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssBytes: number;
  eventsPerSecond: number;
  megabytesPerSecond: number;
  cpuSecondsPer100kEvents: number;
  /** Events the far side holds after the run, counted there; equals `events` when nothing was lost. */
  delivered: number;
}

export interface CatchUpOptions {
  name: string;
  corpus: Corpus;
  /** Scratch directory for the checkpoint and dead letters; emptied first. */
  workDir: string;
  /** --sink and its settings. */
  sinkArgs: string[];
  /** Counts what reached the sink, once the agent has exited. */
  countDelivered(): Promise<number>;
  /** Extra node flags for the agent, e.g. --cpu-prof. */
  nodeFlags?: string[];
}

/**
 * Runs `kube-audit-forwarder run --start-at beginning --exit-when-caught-up` over the corpus: the
 * agent reads every file on disk from its start, as after an outage with no usable checkpoint,
 * and exits once every event is acknowledged by the sink.
 */
export async function measureCatchUp(options: CatchUpOptions): Promise<CatchUpMeasurement> {
  const { corpus, workDir } = options;
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const args = [
    'run',
    '--path', corpus.livePath,
    '--checkpoint-dir', path.join(workDir, 'checkpoint'),
    '--start-at', 'beginning',
    '--exit-when-caught-up',
    '--http-port', '0',
    '--log-level', 'warn',
    ...options.sinkArgs,
  ];
  const run = await runMeasured(CLI_PATH, args, { nodeFlags: [...AGENT_NODE_FLAGS, ...(options.nodeFlags ?? [])] });
  return summarise(options.name, corpus, run, await options.countDelivered());
}

function summarise(name: string, corpus: Corpus, run: MeasuredRun, delivered: number): CatchUpMeasurement {
  return {
    name,
    events: corpus.events,
    bytes: corpus.bytes,
    wallSeconds: run.wallSeconds,
    cpuSeconds: run.cpuSeconds,
    peakRssBytes: run.peakRssBytes,
    eventsPerSecond: corpus.events / run.wallSeconds,
    megabytesPerSecond: corpus.bytes / 1e6 / run.wallSeconds,
    cpuSecondsPer100kEvents: (run.cpuSeconds / corpus.events) * 100_000,
    delivered,
  };
}

/** The baseline reader over the same corpus, measured the same way. */
export async function measureBaseline(name: string, corpus: Corpus, mode: BaselineMode): Promise<CatchUpMeasurement> {
  const run = await runMeasured(BASELINE_READER, [corpus.root, ...(mode === 'split' ? [] : [`--${mode}`])]);
  const { lines } = JSON.parse(run.stdout) as { lines: number };
  return summarise(name, corpus, run, lines);
}
