import path from 'node:path';
import { CORPUS_DIR, rawLines } from '../../helpers/corpus.js';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import type { AuditRecord } from '../../../src/pipeline/audit-record.js';

/**
 * Audit events written for the tests, for cases the public corpus lacks (port-forward,
 * nodes/proxy, webhooks, CSRs, …). They follow design/audit-event-schema.md: a v1
 * ResponseComplete event from kubectl, with whatever the case changes on top.
 */
let sequence = 0;

export function writtenEvent(changes: Record<string, unknown> = {}): AuditEvent {
  sequence += 1;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Request',
    auditID: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/default/pods',
    verb: 'create',
    user: { username: 'alice@example.com', groups: ['developers', 'system:authenticated'] },
    sourceIPs: ['10.0.0.12'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
    objectRef: { resource: 'pods', namespace: 'default', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 },
    requestReceivedTimestamp: '2026-03-02T10:00:00.000000Z',
    stageTimestamp: '2026-03-02T10:00:00.010000Z',
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
    ...changes,
  };
}

/** A pod spec wrapped the way `kind` keeps it: a Pod, a workload template or a CronJob's job template. */
export function withPodSpec(kind: 'Pod' | 'Deployment' | 'DaemonSet' | 'CronJob', podSpec: Record<string, unknown>): Record<string, unknown> {
  const resource = { Pod: 'pods', Deployment: 'deployments', DaemonSet: 'daemonsets', CronJob: 'cronjobs' }[kind];
  const apiGroup = kind === 'Pod' ? undefined : kind === 'CronJob' ? 'batch' : 'apps';
  const template = { metadata: { labels: { app: 'x' } }, spec: podSpec };
  const spec =
    kind === 'Pod' ? podSpec : kind === 'CronJob' ? { schedule: '* * * * *', jobTemplate: { spec: { template } } } : { selector: {}, template };
  return {
    objectRef: { resource, namespace: 'default', ...(apiGroup ? { apiGroup } : {}), apiVersion: 'v1' },
    requestObject: { kind, apiVersion: apiGroup ? `${apiGroup}/v1` : 'v1', metadata: { name: 'x' }, spec },
  };
}

export function recordOf(value: Buffer | string | AuditEvent): AuditRecord {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  return { value: bytes, event: JSON.parse(text) as AuditEvent, origin: { path: 'test', offset: 0 } };
}

export function corpusPath(...parts: string[]): string {
  return path.join(CORPUS_DIR, ...parts);
}

/** The audit events of a JSON-lines corpus file with their raw bytes; non-event lines are left out. */
export function corpusRecords(file: string): AuditRecord[] {
  return rawLines(file)
    .map((line) => {
      try {
        return recordOf(line);
      } catch {
        return undefined;
      }
    })
    .filter((record): record is AuditRecord => record !== undefined && typeof record.event.verb === 'string');
}
