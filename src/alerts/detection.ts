import type { AuditEvent } from '../audit/audit-event.js';
import { auditIdOf, eventTimeOf, namespaceOf, resourceOf, stringField, subresourceOf, usernameOf, verbOf } from '../audit/event-fields.js';
import type { AlertingRule } from './detection-listener.js';

/** The event fields an alert can be keyed by: each becomes a label of the same name. */
export const SUBJECT_FIELDS = ['user', 'namespace', 'resource', 'name', 'verb', 'sourceIP'] as const;
export type SubjectField = (typeof SUBJECT_FIELDS)[number];

/**
 * One match, copied out of the event (which may be released once the listener returns): the
 * rule, the subject labels that key the alert, and what a person needs to see.
 */
export interface Detection {
  readonly rule: AlertingRule;
  /** `rule` and the subject fields that have a value, as one string: one alert per key. */
  readonly key: string;
  /** Subject field → value, only the fields that have one. */
  readonly subject: Readonly<Record<string, string>>;
  readonly auditID: string | undefined;
  /** When the event happened (ms since the epoch); undefined if it carries no usable timestamp. */
  readonly eventTime: number | undefined;
  /** The request in one line: who did what to which object, the answer, from where. */
  readonly request: string;
}

/** Longest user agent kept in the request line; kubectl's full agent string adds nothing for a person. */
const USER_AGENT_CHARS = 60;

export function detectionOf(rule: AlertingRule, event: AuditEvent, subjectFields: readonly SubjectField[]): Detection {
  const subject: Record<string, string> = {};
  let key = rule.id;
  for (const field of subjectFields) {
    const value = subjectValue(field, event);
    key += `\u0000${value ?? ''}`;
    if (value !== undefined && value !== '') subject[field] = value;
  }
  const time = eventTimeOf(event);
  return {
    rule,
    key,
    subject,
    auditID: auditIdOf(event),
    eventTime: time ? time.seconds * 1000 + Math.floor(time.nanoseconds / 1e6) : undefined,
    request: describeRequest(event),
  };
}

function subjectValue(field: SubjectField, event: AuditEvent): string | undefined {
  switch (field) {
    case 'user':
      return usernameOf(event);
    case 'namespace':
      return namespaceOf(event);
    case 'resource':
      return resourceOf(event);
    case 'name':
      return stringField(record(event.objectRef)?.name);
    case 'verb':
      return verbOf(event);
    case 'sourceIP':
      return Array.isArray(event.sourceIPs) ? stringField(event.sourceIPs[0]) : undefined;
  }
}

/** `alice create pods/exec default/web-1 → 101 from 10.0.0.7 (kubectl/v1.30.1)`, or the URI when there is no object. */
export function describeRequest(event: AuditEvent): string {
  const objectRef = record(event.objectRef);
  const resource = resourceOf(event);
  let target: string;
  if (resource !== undefined) {
    const subresource = subresourceOf(event);
    const name = stringField(objectRef?.name);
    const namespace = namespaceOf(event);
    const object = [namespace, name].filter((part) => part !== undefined && part !== '').join('/');
    target = `${resource}${subresource ? `/${subresource}` : ''}${object ? ` ${object}` : ''}`;
  } else {
    target = stringField(event.requestURI) ?? '(no object)';
  }
  const code = record(event.responseStatus)?.code;
  const source = Array.isArray(event.sourceIPs) ? stringField(event.sourceIPs[0]) : undefined;
  const agent = stringField(event.userAgent);
  return [
    usernameOf(event) ?? '(unknown user)',
    verbOf(event) ?? '(no verb)',
    target,
    ...(typeof code === 'number' ? [`→ ${code}`] : []),
    ...(source ? [`from ${source}`] : []),
    ...(agent ? [`(${agent.length > USER_AGENT_CHARS ? `${agent.slice(0, USER_AGENT_CHARS)}…` : agent})`] : []),
  ].join(' ');
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
