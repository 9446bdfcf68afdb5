import type { Detection } from './detection.js';

/** What every alert carries besides the detection: the node it was seen on and operator-set labels. */
export interface AlertOrigin {
  /** The node the agent runs on (empty: no `node` label). */
  readonly node: string;
  readonly extraLabels: Readonly<Record<string, string>>;
}

/** AuditIDs an alert lists at most: the latest ones (the count of matches says how many there were). */
export const MAX_AUDIT_IDS = 10;

/** `pod-exec-attach` → `PodExecAttach`, the Prometheus convention for alert names. */
export function alertNameOf(ruleId: string): string {
  return ruleId
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** The labels that identify the alert: the same rule and subject on the same node give the same set. */
export function labelsOf(detection: Detection, origin: AlertOrigin): Record<string, string> {
  const { rule, subject } = detection;
  return {
    ...origin.extraLabels,
    alertname: alertNameOf(rule.id),
    rule: rule.id,
    severity: rule.severity,
    ...(origin.node === '' ? {} : { node: origin.node }),
    ...subject,
  };
}

/** One line for a person: what the rule says and whom it is about. */
export function summaryOf(detection: Detection): string {
  const about = Object.entries(detection.subject).map(([field, value]) => `${field}=${value}`);
  return about.length === 0 ? detection.rule.description : `${detection.rule.description} (${about.join(', ')})`;
}

/** The rule's remediation hint, else its description. */
export function remediationOf(detection: Detection): string {
  return detection.rule.remediation ?? detection.rule.description;
}

/** Keeps the latest `MAX_AUDIT_IDS` auditIDs, in order of arrival. */
export function rememberAuditId(ids: string[], auditID: string | undefined): void {
  if (auditID === undefined || ids.includes(auditID)) return;
  ids.push(auditID);
  if (ids.length > MAX_AUDIT_IDS) ids.shift();
}
