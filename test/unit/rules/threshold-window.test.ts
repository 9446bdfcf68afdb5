import assert from 'node:assert/strict';
import { ThresholdWindow } from '../../../src/rules/detection/threshold-window.js';

describe('threshold windows', () => {
  it('fires when the count is reached within the window, then starts the group over', () => {
    const window = new ThresholdWindow(3, 60_000);
    assert.deepEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000].map((time) => window.record('mallory', time)), [false, false, true, false, false, true]);
  });

  it('forgets hits older than the window', () => {
    const window = new ThresholdWindow(2, 1_000);
    assert.equal(window.record('u', 0), false);
    assert.equal(window.record('u', 1_000), false, 'exactly one window later the first hit has left');
    assert.equal(window.record('u', 1_500), true);
  });

  it('keeps at most maxGroups groups, forgetting the one seen least recently', () => {
    const window = new ThresholdWindow(2, 60_000, 2);
    window.record('a', 0);
    window.record('b', 1);
    window.record('c', 2); // a third group: a, seen least recently, is forgotten
    assert.equal(window.record('b', 3), true, 'b kept its first hit');
    assert.equal(window.record('a', 4), false, 'a lost its first hit');
  });
});
