import type { AuditEvent } from '../audit/audit-event.js';

/**
 * What an alert needs of a detection rule. Structural, so the rules module can grow (MITRE ids,
 * remediation) without this side changing; `remediation` is used when a rule has one.
 */
export interface AlertingRule {
  readonly id: string;
  readonly description: string;
  readonly severity: string;
  readonly remediation?: string;
  /** MITRE ATT&CK technique ids, when the rule names them. */
  readonly mitre?: readonly string[];
}

/**
 * Told synchronously, on the shipping path, each time an event matches a rule (after its
 * threshold, if any, fired). It must copy what it needs and return at once: the event may be
 * released as soon as it returns, and shipping waits for nothing it does.
 */
export interface DetectionListener {
  onMatch(rule: AlertingRule, event: AuditEvent): void;
}
