import assert from 'node:assert/strict';
import winston from 'winston';
import { CommitTracker, type PendingCommit } from '../../../src/checkpoint/commit-tracker.js';
import { AgentMetrics } from '../../../src/observability/metrics.js';
import type { Batch } from '../../../src/pipeline/audit-record.js';
import { Delivery } from '../../../src/pipeline/delivery.js';
import type { Sink } from '../../../src/sinks/sink.js';
import { waitUntil } from '../../helpers/agent-process.js';

/** A sink whose sends the test settles one by one. */
class ManualSink implements Sink {
  readonly name = 'manual';
  readonly pending: Array<{ batch: Batch; resolve: () => void; reject: (error: Error) => void }> = [];
  async start(): Promise<void> {}
  send(batch: Batch): Promise<void> {
    return new Promise((resolve, reject) => this.pending.push({ batch, resolve, reject }));
  }
  async close(): Promise<void> {}
  health() {
    return { ready: true, detail: 'ok' };
  }
}

function batch(id: number, events = 1): { batch: Batch; commit: PendingCommit<string> } {
  const records = Array.from({ length: events }, () => ({ value: Buffer.from('{}'), event: {}, origin: { path: 'f', offset: 0 } }));
  return { batch: { id, records, bytes: 2 * events }, commit: { id, positions: new Map([['f', id * 100]]), readBytes: 100, oldestAtMs: 0 } };
}

describe('Delivery', () => {
  let sink: ManualSink;
  let applied: Array<[string, number]>;
  let commits: CommitTracker<string>;
  let metrics: AgentMetrics;
  const make = (limits: { bytes?: number; batches?: number } = {}): Delivery<string> =>
    new Delivery<string>({
      sink,
      commits,
      maxInflightBytes: limits.bytes ?? 1_000_000,
      maxInflightBatches: limits.batches ?? 8,
      retryMinMs: 5,
      retryMaxMs: 20,
      metrics,
      logger: winston.createLogger({ silent: true }),
    });
  beforeEach(() => {
    sink = new ManualSink();
    applied = [];
    commits = new CommitTracker<string>((file, offset) => applied.push([file, offset]));
    metrics = new AgentMetrics({ nodeDefaults: false });
  });

  function submit(delivery: Delivery<string>, id: number): void {
    const { batch: sealed, commit } = batch(id);
    commits.read(commit.readBytes);
    delivery.submit(sealed, commit);
  }

  it('commits positions in the order batches were sealed, whatever order the sink acknowledges them in', async () => {
    const delivery = make();
    submit(delivery, 1);
    submit(delivery, 2);
    await waitUntil(() => sink.pending.length === 2, 1_000, 'both sent');
    sink.pending[1]!.resolve();
    await waitUntil(async () => (await metrics.eventsShipped.get()).values[0]?.value === 1, 1_000, 'batch 2 acknowledged');
    assert.deepEqual(applied, [], 'batch 1 is still in flight');
    sink.pending[0]!.resolve();
    await waitUntil(() => applied.length === 2, 1_000, 'both committed');
    assert.deepEqual(applied, [
      ['f', 100],
      ['f', 200],
    ]);
    assert.equal(delivery.idle, true);
  });

  it('retries a rejected batch until the sink takes it, counting errors and retries, and never commits it before', async () => {
    const delivery = make();
    submit(delivery, 1);
    await waitUntil(() => sink.pending.length === 1, 1_000, 'sent');
    sink.pending[0]!.reject(new Error('down'));
    await waitUntil(() => sink.pending.length === 2, 1_000, 'sent again after the backoff');
    sink.pending[1]!.reject(new Error('still down'));
    await waitUntil(() => sink.pending.length === 3, 1_000, 'and again');
    assert.deepEqual(applied, []);
    sink.pending[2]!.resolve();
    await waitUntil(() => applied.length === 1, 1_000, 'committed once accepted');
    assert.equal((await metrics.sinkErrors.get()).values[0]?.value, 2);
    assert.equal((await metrics.sinkRetries.get()).values[0]?.value, 2);
  });

  it('holds reading back while the in-flight limits are reached, and lets it go on once a batch is committed', async () => {
    const delivery = make({ batches: 1 });
    submit(delivery, 1);
    let released = false;
    void delivery.waitForCapacity().then(() => (released = true));
    await waitUntil(() => sink.pending.length === 1, 1_000, 'sent');
    assert.equal(released, false);
    sink.pending[0]!.resolve();
    await waitUntil(() => released, 1_000, 'capacity again');
  });

  it('drain gives up after its timeout while the sink is down, and abandon stops the retries', async () => {
    const delivery = make();
    submit(delivery, 1);
    await waitUntil(() => sink.pending.length === 1, 1_000, 'sent');
    sink.pending[0]!.reject(new Error('down'));
    assert.equal(await delivery.drain(50), false);
    delivery.abandon();
    const sends = sink.pending.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(sink.pending.length, sends, 'no send after abandon');
    assert.deepEqual(applied, [], 'nothing committed that the sink did not take');
  });

  it('acknowledges a batch of no records (every line dropped or dead-lettered) without calling the sink', async () => {
    const delivery = make();
    const { commit } = batch(1, 0);
    commits.read(commit.readBytes);
    delivery.submit({ id: 1, records: [], bytes: 0 }, commit);
    assert.deepEqual(applied, [['f', 100]]);
    assert.equal(sink.pending.length, 0);
    assert.equal(await delivery.drain(10), true);
  });
});
