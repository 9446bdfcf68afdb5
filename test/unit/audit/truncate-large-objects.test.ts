import assert from 'node:assert/strict';
import { TRUNCATED_ANNOTATION, truncateLargeObjects } from '../../../src/audit/truncate-large-objects.js';

describe('truncateLargeObjects', () => {
  const event = {
    kind: 'Event',
    auditID: 'a-1',
    verb: 'list',
    annotations: { 'authorization.k8s.io/decision': 'allow' },
    requestObject: { small: true },
    responseObject: { items: 'x'.repeat(50_000) },
  };
  const value = Buffer.from(JSON.stringify(event));

  it('replaces the largest body first and stops as soon as the event fits', () => {
    const shrunk = truncateLargeObjects({ value, event, origin: { path: 'f', offset: 0 } }, 2_000);
    const parsed = JSON.parse(shrunk.value.toString()) as typeof event & { responseObject: Record<string, unknown> };
    assert.ok(shrunk.value.length <= 2_000);
    assert.deepEqual(parsed.requestObject, { small: true });
    assert.equal(parsed.responseObject[TRUNCATED_ANNOTATION], true);
    assert.ok(Number(parsed.responseObject.originalBytes) > 50_000);
    assert.match((parsed.annotations as Record<string, string>)[TRUNCATED_ANNOTATION]!, /responseObject replaced/);
    assert.equal((parsed.annotations as Record<string, string>)['authorization.k8s.io/decision'], 'allow');
    assert.equal(parsed.auditID, 'a-1');
  });

  it('leaves the original record untouched', () => {
    truncateLargeObjects({ value, event, origin: { path: 'f', offset: 0 } }, 2_000);
    assert.equal(typeof event.responseObject.items, 'string');
  });
});
