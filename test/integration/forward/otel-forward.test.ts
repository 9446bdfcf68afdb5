import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { AuditRecord } from '../../../src/pipeline/audit-record.js';
import type { Sink } from '../../../src/sinks/sink.js';
import { AgentWorkspace } from '../../helpers/agent-fixture.js';
import { AgentProcess, waitUntil } from '../../helpers/agent-process.js';
import { AuditEventFactory, readRealAuditLines } from '../../helpers/audit-event-factory.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { readOtlpRecords, type ReceivedRecord } from '../../helpers/forward/otlp-records.js';
import { OtelForwardServer, freePort, runServerScript } from '../../helpers/forward/server-scripts.js';
import { forwardSinkFromFlags } from '../../helpers/forward/sink-from-flags.js';
import { LumberjackWriter } from '../../helpers/lumberjack-writer.js';
import { recordKey } from '../../helpers/sink-output.js';

/** Every line written, by `auditID/stage`, to compare what the collector received record by record. */
class WrittenEvents {
  readonly byKey = new Map<string, string>();

  constructor(
    readonly writer: LumberjackWriter,
    private readonly factory: AuditEventFactory,
  ) {}

  /** Writes in bursts, yielding so the lumberjack mill runs meanwhile. */
  async write(count: number, burst = 500): Promise<void> {
    for (let written = 0; written < count; written += burst) {
      const lines = this.factory.lines(Math.min(burst, count - written));
      for (const line of lines) {
        const event = JSON.parse(line) as { auditID?: string; stage?: string };
        this.byKey.set(recordKey(event.auditID, event.stage), line);
      }
      this.writer.writeMany(lines);
      await yieldToEventLoop();
    }
  }
}

/** What the collector holds, by `auditID/stage`, with how often each arrived. */
function receivedByKey(server: OtelForwardServer): Map<string, ReceivedRecord[]> {
  const byKey = new Map<string, ReceivedRecord[]>();
  for (const received of readOtlpRecords(server.outputPath)) {
    const key = recordKey(received.record.auditID as string | undefined, received.record.stage as string | undefined);
    byKey.set(key, [...(byKey.get(key) ?? []), received]);
  }
  return byKey;
}

/** Bytes the collector has written so far: a cheap progress signal while it is receiving. */
function outputBytes(server: OtelForwardServer): number {
  return existsSync(server.outputPath) ? statSync(server.outputPath).size : 0;
}

function missing(written: WrittenEvents, received: Map<string, ReceivedRecord[]>): string[] {
  return [...written.byKey.keys()].filter((key) => !received.has(key));
}

function duplicates(received: Map<string, ReceivedRecord[]>): number {
  let count = 0;
  for (const copies of received.values()) count += copies.length - 1;
  return count;
}

/** Each received record equals the event as written (unknown fields included), and carries the forward tag. */
function assertRecordsEqualOriginals(written: WrittenEvents, received: Map<string, ReceivedRecord[]>): void {
  for (const [key, line] of written.byKey) {
    for (const copy of received.get(key) ?? []) {
      assert.deepEqual(copy.record, JSON.parse(line), `record ${key} differs from the event written`);
      assert.equal(copy.tag, 'kube.audit');
    }
  }
}

function startForwardAgent(workspace: AgentWorkspace, server: OtelForwardServer, extra: string[] = []): AgentProcess {
  return new AgentProcess([
    'run',
    '--path', workspace.livePath,
    '--checkpoint-dir', workspace.checkpointDir,
    '--sink', 'forward',
    '--forward-servers', server.address,
    '--forward-health-check-interval-ms', '200',
    '--poll-interval-ms', '100',
    '--checkpoint-interval-ms', '100',
    '--batch-linger-ms', '20',
    '--retry-max-ms', '500',
    '--http-host', '127.0.0.1',
    '--log-level', 'info',
    // Records must come out equal to the events written: no redaction, no detection annotations.
    '--no-redaction',
    '--no-detections',
    ...extra,
  ]);
}

/** Resident set size of a process, from /proc. */
function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

describe('forward sink → OpenTelemetry Collector fluentforward receiver (scripts/forward-server.sh)', function () {
  this.timeout(300_000);
  const root = mkdtempSync(path.join(tmpdir(), 'kaf-forward-otel-'));
  const servers: OtelForwardServer[] = [];
  const agents: AgentProcess[] = [];
  const sinks: Sink[] = [];

  before(async function () {
    // A cold build (module downloads + compile on 2 cores) took 4 min here; warm, this returns at once.
    this.timeout(900_000);
    await runServerScript('forward-server.sh', ['build'], 900_000);
  });

  async function startServer(name: string, output?: string): Promise<OtelForwardServer> {
    const server = new OtelForwardServer(await freePort(), path.join(root, name), output);
    servers.push(server);
    await server.start();
    return server;
  }

  afterEach(async () => {
    for (const agent of agents.splice(0)) {
      agent.kill('SIGKILL');
      await agent.waitForExit();
    }
    for (const sink of sinks.splice(0)) await sink.close();
    for (const server of servers.splice(0)) await server.stop();
  });

  it('the receiver acks only what its pipeline accepted: an exporter that cannot write gets the batch rejected', async () => {
    const server = await startServer('full-disk', '/dev/full');
    const sink = await forwardSinkFromFlags(['--forward-servers', server.address, '--forward-ack-timeout-ms', '10000']);
    sinks.push(sink);
    await sink.start();
    const lines = new AuditEventFactory({ seed: 3, requestResponseFraction: 0 }).lines(200);
    const records: AuditRecord[] = lines.map((line, offset) => ({ value: Buffer.from(line), event: JSON.parse(line), origin: { path: 'audit.log', offset } }));
    // More than the exporter's 4 KiB write buffer, so its write to /dev/full fails inside ConsumeLogs.
    await assert.rejects(sink.send({ id: 1, records, bytes: 0 }), /closed the connection/);
  });

  it('real audit events from the corpus arrive as equal records, plain and gzip-compressed', async () => {
    const server = await startServer('corpus');
    const lines = readRealAuditLines(CORPUS_DIR);
    assert.ok(lines.length >= 50, `corpus has ${lines.length} lines`);
    const records: AuditRecord[] = lines.map((line, offset) => ({ value: Buffer.from(line), event: JSON.parse(line), origin: { path: 'corpus', offset } }));
    for (const compression of ['none', 'gzip']) {
      const sink = await forwardSinkFromFlags(['--forward-servers', server.address, '--forward-compression', compression, '--forward-tag', `corpus.${compression}`]);
      sinks.push(sink);
      await sink.start();
      for (let start = 0; start < records.length; start += 500) {
        const batch = records.slice(start, start + 500);
        await sink.send({ id: start, records: batch, bytes: 0 });
      }
    }
    await waitUntil(() => readOtlpRecords(server.outputPath).length >= 2 * lines.length, 30_000, 'both copies of the corpus at the collector');
    for (const compression of ['none', 'gzip']) {
      const received = readOtlpRecords(server.outputPath).filter((record) => record.tag === `corpus.${compression}`);
      assert.equal(received.length, lines.length);
      received.forEach((record, index) => assert.deepEqual(record.record, JSON.parse(lines[index]), `${compression} line ${index}`));
    }
  });

  it('50 000 events written across rotations: every auditID read back, records equal to the events written', async () => {
    const server = await startServer('rotations');
    const workspace = new AgentWorkspace();
    const written = new WrittenEvents(
      new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 1024 * 1024, compress: true, maxBackups: 0 }),
      new AuditEventFactory({ seed: 11, realLines: readRealAuditLines(CORPUS_DIR) }),
    );
    const agent = startForwardAgent(workspace, server);
    agents.push(agent);
    await agent.waitForLog((entry) => entry.message === 'agent started');
    const started = Date.now();
    await written.write(50_000);
    await written.writer.close();
    await waitUntil(() => missing(written, receivedByKey(server)).length === 0, 240_000, 'every auditID at the collector', 500);
    const seconds = (Date.now() - started) / 1000;
    agent.kill('SIGTERM');
    assert.equal((await agent.waitForExit()).code, 0);
    const received = receivedByKey(server);
    assert.ok(written.writer.stats.rotations >= 20, `only ${written.writer.stats.rotations} rotations`);
    assert.deepEqual(missing(written, received), []);
    const warnings = agent.logs.filter((entry) => entry.level !== 'info' && entry.level !== 'debug');
    assert.equal(duplicates(received), 0, `no failure, so no duplicates; agent warnings: ${JSON.stringify(warnings.slice(0, 5))}`);
    assertRecordsEqualOriginals(written, received);
    const megabytes = written.writer.stats.bytesWritten / 1024 ** 2;
    console.log(
      `      ${written.byKey.size} events (${megabytes.toFixed(0)} MiB), ${written.writer.stats.rotations} rotations: ` +
        `0 missing, 0 duplicates, ${(written.byKey.size / seconds).toFixed(0)} events/s end to end`,
    );
  });

  it('the collector stopped mid-stream and started again: nothing missing', async () => {
    const server = await startServer('restart');
    const workspace = new AgentWorkspace();
    const written = new WrittenEvents(
      new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 512 * 1024, compress: true, maxBackups: 0 }),
      new AuditEventFactory({ seed: 12, requestResponseFraction: 0.2 }),
    );
    const agent = startForwardAgent(workspace, server);
    agents.push(agent);
    await agent.waitForLog((entry) => entry.message === 'agent started');
    await written.write(20_000);
    await waitUntil(() => outputBytes(server) >= 1024 * 1024, 60_000, 'the first MiB at the collector', 10);
    await server.stop();
    const receivedBeforeStop = receivedByKey(server).size;
    await written.write(5_000);
    await waitUntil(() => agent.logs.some((entry) => entry.level === 'warn' || entry.level === 'error'), 30_000, 'the agent to notice the outage');
    await server.start();
    await written.writer.close();
    await waitUntil(() => missing(written, receivedByKey(server)).length === 0, 120_000, 'every auditID after the restart', 500);
    const received = receivedByKey(server);
    assertRecordsEqualOriginals(written, received);
    console.log(
      `      ${written.byKey.size} events, collector stopped after ${receivedBeforeStop} and restarted: 0 missing, ${duplicates(received)} duplicates`,
    );
  });

  it('memory stays flat while every server is down, and everything arrives once one comes up', async () => {
    const server = new OtelForwardServer(await freePort(), path.join(root, 'late'));
    servers.push(server);
    const workspace = new AgentWorkspace();
    const written = new WrittenEvents(
      new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 1024 * 1024, compress: true, maxBackups: 0 }),
      new AuditEventFactory({ seed: 14, requestResponseFraction: 0.2 }),
    );
    const agent = startForwardAgent(workspace, server, ['--max-inflight-bytes', '8MiB']);
    agents.push(agent);
    await agent.waitForLog((entry) => entry.message === 'agent started');
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rssBytes(agent.pid)), 200);
    try {
      await written.write(60_000, 2000);
      await waitUntil(() => samples.length >= 40, 30_000, '8 s of RSS samples');
    } finally {
      clearInterval(sampler);
    }
    const half = Math.floor(samples.length / 2);
    const firstHalfPeak = Math.max(...samples.slice(0, half));
    const secondHalfPeak = Math.max(...samples.slice(half));
    const mib = (bytes: number): string => (bytes / 1024 ** 2).toFixed(0);
    assert.ok(secondHalfPeak - firstHalfPeak < 24 * 1024 ** 2, `RSS grew from ${mib(firstHalfPeak)} to ${mib(secondHalfPeak)} MiB`);
    assert.equal(receivedByKey(server).size, 0);
    await server.start();
    await written.writer.close();
    await waitUntil(() => missing(written, receivedByKey(server)).length === 0, 120_000, 'every auditID once the server is up', 500);
    console.log(
      `      ${written.byKey.size} events (${mib(written.writer.stats.bytesWritten)} MiB) written with no server up: ` +
        `agent RSS peak ${mib(firstHalfPeak)} → ${mib(secondHalfPeak)} MiB; then 0 missing`,
    );
  });

  it('the agent SIGKILLed mid-stream and restarted: nothing missing, duplicates bounded by what was in flight', async () => {
    const server = await startServer('agent-kill');
    const workspace = new AgentWorkspace();
    const written = new WrittenEvents(
      new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 512 * 1024, compress: true, maxBackups: 0 }),
      new AuditEventFactory({ seed: 13, requestResponseFraction: 0.2 }),
    );
    const first = startForwardAgent(workspace, server);
    agents.push(first);
    await first.waitForLog((entry) => entry.message === 'agent started');
    await written.write(20_000);
    await waitUntil(() => outputBytes(server) >= 1024 * 1024, 60_000, 'the first MiB at the collector', 10);
    first.kill('SIGKILL');
    await first.waitForExit();
    const receivedBeforeKill = receivedByKey(server).size;
    await written.write(5_000);
    await written.writer.close();
    const second = startForwardAgent(workspace, server);
    agents.push(second);
    await waitUntil(() => missing(written, receivedByKey(server)).length === 0, 120_000, 'every auditID after the restart', 500);
    const received = receivedByKey(server);
    assertRecordsEqualOriginals(written, received);
    const duplicated = duplicates(received);
    // At most what the default in-flight limits allow (8 batches of up to 2000 events).
    assert.ok(duplicated <= 16_000, `${duplicated} duplicates`);
    console.log(
      `      ${written.byKey.size} events, agent SIGKILLed after ${receivedBeforeKill} arrived and restarted: 0 missing, ${duplicated} duplicates`,
    );
  });
});
