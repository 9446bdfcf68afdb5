import assert from 'node:assert/strict';
import { CommitTracker } from '../../../src/checkpoint/commit-tracker.js';

describe('CommitTracker', () => {
  it('commits positions only over batches acknowledged without a gap, whatever the ack order', () => {
    const applied: Array<[string, number]> = [];
    const tracker = new CommitTracker<string>((file, offset) => applied.push([file, offset]));
    tracker.read(300);
    tracker.sealed({ id: 1, positions: new Map([['a', 100]]), readBytes: 100, oldestAtMs: 0 });
    tracker.sealed({ id: 2, positions: new Map([['a', 200]]), readBytes: 100, oldestAtMs: 0 });
    tracker.sealed({ id: 3, positions: new Map([['a', 250], ['b', 50]]), readBytes: 100, oldestAtMs: 0 });
    tracker.acknowledge(3);
    tracker.acknowledge(2);
    assert.deepEqual(applied, [], 'batch 1 is still out: nothing may be committed');
    assert.equal(tracker.inflightBytes, 300);
    tracker.acknowledge(1);
    assert.deepEqual(applied, [
      ['a', 100],
      ['a', 200],
      ['a', 250],
      ['b', 50],
    ]);
    assert.equal(tracker.inflightBytes, 0);
    assert.equal(tracker.pendingCount, 0);
  });
});
