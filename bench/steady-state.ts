import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_PATH } from '../test/helpers/agent-process.js';
import { AGENT_NODE_FLAGS } from './agent-node-flags.js';
import { AuditEventFactory, readRealAuditLines } from '../test/helpers/audit-event-factory.js';
import { CORPUS_DIR } from '../test/helpers/corpus.js';
import { LumberjackWriter } from '../test/helpers/lumberjack-writer.js';
import { eventKey } from './event-key.js';
import { MeasuredProcess } from './measured-process.js';
import { OutputTail } from './output-tail.js';
import { sampleProcess, type ProcSample } from './proc-sample.js';

export interface SteadyStateOptions {
  workDir: string;
  seed: number;
  /** Events written per second. */
  rate: number;
  /** How long the writer runs. */
  seconds: number;
  /** First seconds left out of the figures: the agent starts and its JIT warms up. */
  warmUpSeconds: number;
  /** --audit-log-maxsize of the simulated apiserver; backups are gzipped. */
  rotateBytes: number;
  /** Node flags of the agent process, e.g. --cpu-prof. */
  nodeFlags?: string[];
  log(message: string): void;
}

export interface SteadyStateMeasurement {
  rate: number;
  seconds: number;
  eventsWritten: number;
  rotations: number;
  /** Agent CPU over the measured window, in % of one core. */
  agentCpuPercent: number;
  agentRssBytes: { max: number; last: number };
  latencyMs: { p50: number; p99: number; max: number; samples: number };
  missing: number;
  duplicates: number;
}

/** Poll interval of the output file; bounds how late an arrival is seen. */
const TAIL_POLL_MS = 5;
/** Pace of the writer: each tick writes the events that became due. */
const WRITER_TICK_MS = 5;
const DRAIN_TIMEOUT_MS = 60_000;

/**
 * The agent at work on a live log: a kube-apiserver stand-in writes `rate` events/s with
 * lumberjack rotations and gzip, the agent ships them to the file sink (fsync per batch, so an
 * event in the output file is acknowledged within the fsync), and each event's latency is the
 * time from its write(2) to its appearance in the output file.
 */
export async function measureSteadyState(options: SteadyStateOptions): Promise<SteadyStateMeasurement> {
  const { workDir, rate } = options;
  rmSync(workDir, { recursive: true, force: true });
  const logDir = path.join(workDir, 'log');
  mkdirSync(logDir, { recursive: true });
  const outputPath = path.join(workDir, 'out.jsonl');
  const agent = new MeasuredProcess(CLI_PATH, [
    'run',
    '--path', path.join(logDir, 'audit.log'),
    '--checkpoint-dir', path.join(workDir, 'checkpoint'),
    '--start-at', 'beginning',
    '--http-port', '0',
    '--log-level', 'warn',
    '--sink', 'file',
    '--file-path', outputPath,
  ], { nodeFlags: [...AGENT_NODE_FLAGS, ...(options.nodeFlags ?? [])] });
  const factory = new AuditEventFactory({ seed: options.seed, realLines: readRealAuditLines(CORPUS_DIR) });
  const writer = new LumberjackWriter({ dir: logDir, maxSizeBytes: options.rotateBytes, compress: true });
  const writtenAt = new Map<string, number>();
  const latencies: number[] = [];
  const arrived = new Set<string>();
  let duplicates = 0;
  let arrivedOfWritten = 0;
  const tail = new OutputTail(outputPath);
  const measureFrom = performance.now() + options.warmUpSeconds * 1000;
  const tailTimer = setInterval(
    () =>
      tail.poll((line) => {
        const now = performance.now();
        const key = eventKey(line);
        if (key === undefined) return;
        if (arrived.has(key)) {
          duplicates += 1;
          return;
        }
        arrived.add(key);
        const at = writtenAt.get(key);
        if (at === undefined) return;
        arrivedOfWritten += 1;
        if (at >= measureFrom) latencies.push(now - at);
      }),
    TAIL_POLL_MS,
  );

  const started = performance.now();
  let written = 0;
  let atWarmUp: ProcSample | undefined;
  let warmUpAt = 0;
  let maxRss = 0;
  const total = rate * options.seconds;
  while (written < total) {
    const now = performance.now();
    if (!atWarmUp && now >= measureFrom) {
      atWarmUp = sampleProcess(agent.pid);
      warmUpAt = now;
    }
    if (atWarmUp) maxRss = Math.max(maxRss, sampleProcess(agent.pid)?.rssBytes ?? 0);
    const due = Math.min(total, Math.floor(((now - started) / 1000) * rate));
    for (; written < due; written++) {
      const line = factory.nextLine();
      const key = eventKey(Buffer.from(line.slice(0, 4096)));
      writer.write(line);
      if (key !== undefined) writtenAt.set(key, performance.now());
    }
    await sleep(WRITER_TICK_MS);
  }
  const atEnd = sampleProcess(agent.pid);
  const windowSeconds = (performance.now() - warmUpAt) / 1000;
  options.log(`steady state: ${written} events written in ${((performance.now() - started) / 1000).toFixed(1)} s, waiting for the agent to ship the rest`);
  await writer.close();

  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  while (arrivedOfWritten < writtenAt.size && performance.now() < deadline) await sleep(100);
  clearInterval(tailTimer);
  tail.poll(() => undefined);
  tail.close();
  agent.kill('SIGTERM');
  await agent.finished;
  rmSync(workDir, { recursive: true, force: true });

  const sorted = latencies.sort((a, b) => a - b);
  const percentile = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
  return {
    rate,
    seconds: options.seconds,
    eventsWritten: written,
    rotations: writer.stats.rotations,
    agentCpuPercent: atWarmUp && atEnd ? ((atEnd.cpuSeconds - atWarmUp.cpuSeconds) / windowSeconds) * 100 : Number.NaN,
    agentRssBytes: { max: maxRss, last: atEnd?.rssBytes ?? Number.NaN },
    latencyMs: { p50: percentile(0.5), p99: percentile(0.99), max: sorted[sorted.length - 1] ?? Number.NaN, samples: sorted.length },
    missing: writtenAt.size - arrivedOfWritten,
    duplicates,
  };
}
