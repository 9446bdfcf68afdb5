import assert from 'node:assert/strict';
import winston from 'winston';
import { checkpointDocument, type CheckpointDocument } from '../../../src/checkpoint/checkpoint-schema.js';
import { CommitTracker, type PendingCommit } from '../../../src/checkpoint/commit-tracker.js';
import { AgentMetrics } from '../../../src/observability/metrics.js';
import type { Batch } from '../../../src/pipeline/audit-record.js';
import { TransactionalDelivery } from '../../../src/pipeline/transactional-delivery.js';
import { SinkFencedError, type Sink, type SinkTransactions } from '../../../src/sinks/sink.js';
import { waitUntil } from '../../helpers/agent-process.js';

interface Commit {
  /** The ids of the batches added to the transaction this commit ends. */
  batches: number[];
  checkpoint: CheckpointDocument;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** A transactional sink whose commits the test settles one by one; adds are taken at once. */
class ManualTransactions implements SinkTransactions {
  readonly commits: Commit[] = [];
  aborts = 0;
  private adding: number[] = [];
  constructor(
    readonly maxEvents: number,
    readonly intervalMs: number,
  ) {}
  async committedCheckpoint(): Promise<unknown> {
    return undefined;
  }
  async add(batch: Batch): Promise<void> {
    this.adding.push(batch.id);
  }
  commit(checkpoint: CheckpointDocument): Promise<void> {
    const batches = this.adding;
    this.adding = [];
    return new Promise((resolve, reject) => this.commits.push({ batches, checkpoint, resolve, reject }));
  }
  async abort(): Promise<void> {
    this.aborts += 1;
    this.adding = [];
  }
}

const sink: Sink = {
  name: 'manual',
  async start() {},
  async send() {
    throw new Error('a transactional delivery never calls send');
  },
  async close() {},
  health: () => ({ ready: true, detail: 'ok' }),
};

function sealed(id: number, events: number): { batch: Batch; commit: PendingCommit<string> } {
  const records = Array.from({ length: events }, () => ({ value: Buffer.from('{}'), event: {}, origin: { path: 'f', offset: 0 } }));
  return { batch: { id, records, bytes: 2 * events }, commit: { id, positions: new Map([['f', id * 100]]), readBytes: 100, oldestAtMs: 0 } };
}

describe('TransactionalDelivery', () => {
  let applied: Array<[string, number]>;
  let commits: CommitTracker<string>;
  let metrics: AgentMetrics;
  let fenced: SinkFencedError[];

  function make(transactions: ManualTransactions, maxInflightBytes = 1_000_000): TransactionalDelivery<string> {
    return new TransactionalDelivery<string>({
      sink,
      transactions,
      commits,
      maxInflightBytes,
      retryMinMs: 5,
      retryMaxMs: 20,
      metrics,
      logger: winston.createLogger({ silent: true }),
      // The checkpoint names the offset the transaction advances file f to.
      checkpointAfter: (positions) =>
        checkpointDocument([{ fingerprint: { hash: 'f', length: 1 }, offset: positions.get('f') ?? 0, size: 0, completed: false, path: 'f', dev: 0, ino: 0 }], new Date(0)),
      onFenced: (error) => fenced.push(error),
    });
  }

  function submit(delivery: TransactionalDelivery<string>, id: number, events = 10): void {
    const { batch, commit } = sealed(id, events);
    commits.read(commit.readBytes);
    delivery.submit(batch, commit);
  }

  beforeEach(() => {
    applied = [];
    commits = new CommitTracker<string>((file, offset) => applied.push([file, offset]));
    metrics = new AgentMetrics({ nodeDefaults: false });
    fenced = [];
  });

  it('adds batches to the open transaction as they come and commits them at the interval with the checkpoint of their last position, acknowledging them only then', async () => {
    const transactions = new ManualTransactions(1000, 30);
    const delivery = make(transactions);
    submit(delivery, 1);
    submit(delivery, 2);
    submit(delivery, 3);
    await waitUntil(() => transactions.commits.length === 1, 1_000, 'a transaction at the interval');
    const [commit] = transactions.commits;
    assert.deepEqual(commit!.batches, [1, 2, 3]);
    assert.equal(commit!.checkpoint.files[0]!.offset, 300);
    assert.deepEqual(applied, [], 'acknowledged before the commit');
    commit!.resolve();
    await waitUntil(() => applied.length === 3, 1_000, 'the three batches committed');
    assert.deepEqual(applied.at(-1), ['f', 300]);
    assert.equal((await metrics.eventsShipped.get()).values[0]?.value, 30);
    assert.equal(delivery.idle, true);
  });

  it('commits once the waiting batches reach the transaction size, without waiting for the interval; the rest go in the next one', async () => {
    const transactions = new ManualTransactions(20, 60_000);
    const delivery = make(transactions);
    submit(delivery, 1);
    assert.equal(transactions.commits.length, 0, 'committed before the transaction was full');
    submit(delivery, 2);
    await waitUntil(() => transactions.commits.length === 1, 1_000, 'a full transaction');
    submit(delivery, 3);
    submit(delivery, 4);
    submit(delivery, 5);
    assert.equal(transactions.commits.length, 1, 'a second transaction began before the first committed');
    transactions.commits[0]!.resolve();
    await waitUntil(() => transactions.commits.length === 2, 1_000, 'the next full transaction');
    assert.deepEqual(transactions.commits[1]!.batches, [3, 4]);
  });

  it('aborts a failed transaction and sends its batches again in a new one, acknowledging nothing before it committed', async () => {
    const transactions = new ManualTransactions(1000, 10);
    const delivery = make(transactions);
    submit(delivery, 1);
    submit(delivery, 2);
    await waitUntil(() => transactions.commits.length === 1, 1_000, 'first attempt');
    transactions.commits[0]!.reject(new Error('broker away'));
    await waitUntil(() => transactions.commits.length === 2, 1_000, 'sent again after the backoff');
    assert.deepEqual(transactions.commits[1]!.batches, [1, 2]);
    assert.equal(transactions.aborts, 1, 'the failed transaction was not aborted');
    assert.deepEqual(applied, []);
    transactions.commits[1]!.resolve();
    await waitUntil(() => applied.length === 2, 1_000, 'committed on the retry');
    assert.equal((await metrics.sinkErrors.get()).values[0]?.value, 1);
  });

  it('commits once the waiting batches take half the in-flight bytes, whatever the interval, so that the next transaction fills meanwhile', async () => {
    const transactions = new ManualTransactions(1000, 60_000);
    // Each batch read 100 bytes: two wait for the interval, the third makes half of 500.
    const delivery = make(transactions, 500);
    submit(delivery, 1);
    submit(delivery, 2);
    assert.equal(transactions.commits.length, 0, 'committed before half the in-flight bytes waited');
    submit(delivery, 3);
    await waitUntil(() => transactions.commits.length === 1, 1_000, 'a transaction of half the in-flight bytes');
    assert.deepEqual(transactions.commits[0]!.batches, [1, 2]);
    submit(delivery, 4);
    submit(delivery, 5);
    assert.equal(delivery.hasCapacity(), false);
    let released = false;
    void delivery.waitForCapacity().then(() => (released = true));
    transactions.commits[0]!.resolve();
    await waitUntil(() => released, 1_000, 'reading let go on');
    await waitUntil(() => transactions.commits.length === 2, 1_000, 'the next transaction at once');
    assert.deepEqual(transactions.commits[1]!.batches, [3, 4]);
  });

  it('drain commits what waits without waiting for the interval', async () => {
    const transactions = new ManualTransactions(1000, 60_000);
    const delivery = make(transactions);
    submit(delivery, 1);
    const draining = delivery.drain(5_000);
    await waitUntil(() => transactions.commits.length === 1, 1_000, 'the drain to commit');
    transactions.commits[0]!.resolve();
    assert.equal(await draining, true);
  });

  it('stops at a fencing: no retry, the agent is told, and drain gives up at once', async () => {
    const transactions = new ManualTransactions(1000, 10);
    const delivery = make(transactions);
    submit(delivery, 1);
    await waitUntil(() => transactions.commits.length === 1, 1_000, 'first attempt');
    const draining = delivery.drain(60_000);
    transactions.commits[0]!.reject(new SinkFencedError('another producer took the transactional id'));
    assert.equal(await draining, false);
    assert.equal(fenced.length, 1);
    submit(delivery, 2);
    assert.equal(await delivery.drain(60_000), false);
    assert.equal(transactions.commits.length, 1, 'a fenced delivery sent another transaction');
    assert.deepEqual(applied, []);
  });
});
