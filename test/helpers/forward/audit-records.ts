import type { AuditEvent } from '../../../src/audit/audit-event.js';
import type { AuditRecord, Batch } from '../../../src/pipeline/audit-record.js';

/** An AuditRecord as the pipeline hands it to sinks: the event plus its original JSON bytes. */
export function recordOf(event: AuditEvent, offset = 0): AuditRecord {
  return { value: Buffer.from(JSON.stringify(event)), event, origin: { path: '/var/log/kubernetes/audit.log', offset } };
}

let nextBatchId = 1;

export function batchOf(events: AuditEvent[]): Batch {
  const records = events.map((event, index) => recordOf(event, index));
  return { id: nextBatchId++, records, bytes: records.reduce((sum, record) => sum + record.value.length, 0) };
}

/** A small v1 audit event with a unique auditID, an unknown field and a microsecond stageTimestamp. */
export function sampleEvent(index: number, extra: Record<string, unknown> = {}): AuditEvent {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/default/pods/pod-${index}`,
    verb: 'get',
    user: { username: 'system:admin', groups: ['system:masters'] },
    objectRef: { resource: 'pods', namespace: 'default', name: `pod-${index}`, apiVersion: 'v1' },
    responseStatus: { code: 200 },
    requestReceivedTimestamp: '2024-05-01T10:00:00.000001Z',
    stageTimestamp: '2024-05-01T10:00:00.123456Z',
    annotations: { 'authorization.k8s.io/decision': 'allow' },
    someFutureField: { nested: [1, 2.5, true, null, 'x'] },
    ...extra,
  };
}
