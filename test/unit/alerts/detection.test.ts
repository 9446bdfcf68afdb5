import assert from 'node:assert/strict';
import { describeRequest, detectionOf } from '../../../src/alerts/detection.js';
import { sampleEvent } from '../../helpers/forward/audit-records.js';

const RULE = { id: 'r', description: 'd', severity: 'high' };

describe('detections as alert material', () => {
  it('key an alert by the rule and the subject fields, an absent field included', () => {
    const exec = sampleEvent(1, { objectRef: { resource: 'pods', namespace: 'shop', name: 'web', subresource: 'exec' } });
    const a = detectionOf(RULE, exec, ['user', 'namespace']);
    const b = detectionOf(RULE, sampleEvent(2, { objectRef: { resource: 'pods', namespace: 'shop', name: 'db' } }), ['user', 'namespace']);
    const clusterScoped = detectionOf(RULE, sampleEvent(3, { objectRef: { resource: 'nodes', name: 'n1' } }), ['user', 'namespace']);
    assert.equal(a.key, b.key, 'same user and namespace');
    assert.notEqual(a.key, clusterScoped.key);
    assert.deepEqual(clusterScoped.subject, { user: 'system:admin' }, 'no namespace label for a cluster-scoped object');
    assert.notEqual(detectionOf({ ...RULE, id: 'other' }, exec, ['user', 'namespace']).key, a.key, 'another rule');
    assert.equal(a.eventTime, Date.parse('2024-05-01T10:00:00.123Z'));
  });

  it('describe the request in one line, the URI when there is no object', () => {
    const exec = sampleEvent(1, {
      verb: 'create',
      objectRef: { resource: 'pods', namespace: 'shop', name: 'web', subresource: 'exec' },
      responseStatus: { code: 101 },
      sourceIPs: ['10.0.0.7'],
      userAgent: `kubectl/v1.31.0 (linux/amd64) kubernetes/abc${'x'.repeat(80)}`,
    });
    assert.match(describeRequest(exec), /^system:admin create pods\/exec shop\/web → 101 from 10\.0\.0\.7 \(kubectl\/v1\.31\.0 .{10,}…\)$/);
    assert.equal(describeRequest({ verb: 'get', requestURI: '/healthz', user: { username: 'system:anonymous' } }), 'system:anonymous get /healthz');
  });
});
