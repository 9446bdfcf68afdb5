import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Transport from 'winston-transport';
import winston from 'winston';
import { Agent } from '../../src/agent.js';
import { withTimeout } from './agent-process.js';
import type { AgentConfig } from '../../src/config.js';
import { AgentMetrics } from '../../src/observability/metrics.js';
import type { Batch } from '../../src/pipeline/audit-record.js';
import type { Sink, SinkHealth } from '../../src/sinks/sink.js';

/** A sink that keeps what it was sent, and fails every send while `failing` is set. */
export class RecordingSink implements Sink {
  readonly name = 'recording';
  readonly shipsValueOnly = true;
  readonly lines: string[] = [];
  failing = false;
  sends = 0;

  async start(): Promise<void> {}

  async send(batch: Batch): Promise<void> {
    this.sends += 1;
    if (this.failing) throw new Error('recording sink set to fail');
    for (const record of batch.records) this.lines.push(record.value.toString('utf8'));
  }

  async close(): Promise<void> {}

  health(): SinkHealth {
    return { ready: !this.failing, detail: this.failing ? 'failing on purpose' : 'ok' };
  }
}

/** Log entries the agent wrote, kept for assertions. */
class MemoryTransport extends Transport {
  readonly entries: Array<Record<string, unknown>> = [];
  override log(info: Record<string, unknown>, next: () => void): void {
    this.entries.push(info);
    next();
  }
}

/** The settings of `run` with short timers, for an agent driven inside the test process. */
export function testConfig(logPath: string, checkpointDir: string, overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    logPath,
    checkpointDir,
    startAt: 'beginning',
    replay: false,
    logDirGraceMs: 60_000,
    maxLineBytes: 1024 * 1024,
    oversizePolicy: 'truncate',
    invalidLinePolicy: 'dead-letter',
    deadLetterDir: path.join(checkpointDir, 'dead-letter'),
    batchMaxEvents: 500,
    batchMaxBytes: 1024 * 1024,
    batchLingerMs: 10,
    maxInflightBytes: 32 * 1024 * 1024,
    maxInflightBatches: 8,
    pollIntervalMs: 50,
    checkpointIntervalMs: 50,
    retryMinMs: 20,
    retryMaxMs: 100,
    shutdownTimeoutMs: 200,
    exitWhenCaughtUp: false,
    progressIntervalMs: 0,
    logLevel: 'debug',
    sink: undefined as never,
    sinkConfig: undefined,
    processors: undefined as never,
    http: undefined as never,
    alerts: undefined as never,
    warnings: [],
    settingName: (flag) => `--${flag}`,
    ...overrides,
  };
}

/** A temp node layout (log dir, checkpoint dir) and an Agent running in this process. */
export class InProcessAgent {
  readonly root = mkdtempSync(path.join(tmpdir(), 'kaf-agent-'));
  readonly logDir = path.join(this.root, 'log');
  readonly checkpointDir = path.join(this.root, 'checkpoint');
  readonly sink = new RecordingSink();
  metrics = new AgentMetrics({ nodeDefaults: false });
  logs = new MemoryTransport();
  agent?: Agent;

  constructor(options: { createLogDir?: boolean } = {}) {
    if (options.createLogDir !== false) mkdirSync(this.logDir);
  }

  get livePath(): string {
    return path.join(this.logDir, 'audit.log');
  }

  async start(overrides: Partial<AgentConfig> = {}): Promise<Agent> {
    this.metrics = new AgentMetrics({ nodeDefaults: false });
    this.logs = new MemoryTransport();
    const logger = winston.createLogger({ level: 'debug', transports: [this.logs] });
    this.agent = new Agent({
      config: testConfig(this.livePath, this.checkpointDir, overrides),
      sink: this.sink,
      processors: [],
      metrics: this.metrics,
      logger,
    });
    await this.agent.start();
    return this.agent;
  }

  /** Starts the agent, lets it catch up on everything on disk (read and acknowledged), and stops it. */
  async catchUp(overrides: Partial<AgentConfig> = {}): Promise<void> {
    const agent = await this.start(overrides);
    await withTimeout(agent.whenCaughtUp(), 10_000, () => 'the agent did not catch up');
    await this.stop();
  }

  async stop(): Promise<void> {
    await this.agent?.stop();
    this.agent = undefined;
  }

  logged(message: string): Array<Record<string, unknown>> {
    return this.logs.entries.filter((entry) => entry.message === message);
  }

  /** The value of a metric (summed over labels unless `labels` picks one series). */
  async metric(name: string, labels?: Record<string, string>): Promise<number> {
    const metric = this.metrics.registry.getSingleMetric(`kube_audit_forwarder_${name}`);
    if (!metric) throw new Error(`no metric ${name}`);
    const { values } = await metric.get();
    const matching = values.filter((value) => !labels || Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted));
    return matching.reduce((sum, value) => sum + value.value, 0);
  }

  async series(name: string): Promise<Array<{ labels: Record<string, string | number>; value: number }>> {
    const metric = this.metrics.registry.getSingleMetric(`kube_audit_forwarder_${name}`);
    if (!metric) throw new Error(`no metric ${name}`);
    return (await metric.get()).values.map(({ labels, value }) => ({ labels: labels as Record<string, string | number>, value }));
  }
}
