import assert from 'node:assert/strict';
import { backoffDelay } from '../../../src/pipeline/backoff.js';

describe('backoffDelay', () => {
  it('grows exponentially from the minimum and never passes the maximum', () => {
    const high = (): number => 1;
    assert.equal(backoffDelay(0, 100, 10_000, high), 100);
    assert.equal(backoffDelay(3, 100, 10_000, high), 800);
    assert.equal(backoffDelay(50, 100, 10_000, high), 10_000);
  });

  it('jitters between half and all of the ceiling', () => {
    assert.equal(backoffDelay(3, 100, 10_000, () => 0), 400);
  });
});
