import type { AuditEvent } from '../../../../src/audit/audit-event.js';
import type { AuditRecord } from '../../../../src/pipeline/audit-record.js';

/** A record whose value is exactly the JSON of `event`, as the decoder makes it from a log line. */
export function recordOf(event: AuditEvent, offset = 0): AuditRecord {
  return { value: Buffer.from(JSON.stringify(event)), event, origin: { path: '/var/log/kubernetes/audit.log', offset } };
}

export function podEvent(overrides: AuditEvent = {}): AuditEvent {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: '6d1c1b4e-4f0a-4f5e-9a36-1f3f5b7b0c11',
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/payments/pods/api-7d9',
    verb: 'get',
    user: { username: 'system:serviceaccount:payments:deployer', groups: ['system:serviceaccounts'] },
    objectRef: { resource: 'pods', namespace: 'payments', name: 'api-7d9', apiVersion: 'v1' },
    responseStatus: { code: 200 },
    ...overrides,
  };
}
