import assert from 'node:assert/strict';
import type { PendingCommit } from '../../../src/checkpoint/commit-tracker.js';
import type { AuditRecord, Batch } from '../../../src/pipeline/audit-record.js';
import { Batcher } from '../../../src/pipeline/batcher.js';

function record(size: number): AuditRecord {
  return { value: Buffer.alloc(size, 0x61), event: {}, origin: { path: 'f', offset: 0 } };
}

describe('Batcher', () => {
  let sealed: Array<{ batch: Batch; commit: PendingCommit<string> }>;
  const make = (maxEvents: number, maxBytes: number, lingerMs = 10_000): Batcher<string> =>
    new Batcher<string>({ maxEvents, maxBytes, lingerMs, onSeal: (batch, commit) => sealed.push({ batch, commit }) });
  beforeEach(() => {
    sealed = [];
  });

  it('seals a batch when it reaches the event limit', () => {
    const batcher = make(2, 1_000_000);
    batcher.add(record(10), 'f', 11, 11);
    batcher.add(record(10), 'f', 22, 11);
    assert.equal(sealed.length, 1);
    assert.equal(sealed[0]!.batch.records.length, 2);
    assert.equal(sealed[0]!.commit.positions.get('f'), 22);
  });

  it('never lets a batch pass the byte limit', () => {
    const batcher = make(100, 25);
    for (let i = 1; i <= 5; i++) batcher.add(record(10), 'f', i * 11, 11);
    batcher.seal();
    assert.deepEqual(
      sealed.map(({ batch }) => batch.bytes),
      [20, 20, 10],
    );
  });

  it('carries positions of lines handled without shipping into the next batch, in order', () => {
    const batcher = make(100, 1000);
    batcher.add(record(10), 'f', 11, 11);
    batcher.advance('f', 30, 19); // a dead-lettered line
    batcher.seal();
    assert.equal(sealed[0]!.commit.positions.get('f'), 30);
    assert.equal(sealed[0]!.commit.readBytes, 30);
  });

  it('seals a batch that is not full after the linger time', async () => {
    const batcher = make(100, 1000, 5);
    batcher.add(record(10), 'f', 11, 11);
    assert.equal(sealed.length, 0);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (sealed.length > 0) {
          clearInterval(check);
          resolve();
        }
      }, 1);
    });
    assert.equal(sealed[0]!.batch.records.length, 1);
  });
});
