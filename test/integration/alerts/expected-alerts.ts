import { Registry } from 'prom-client';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import { eventTimeOf } from '../../../src/audit/event-fields.js';
import { DetectionProcessor } from '../../../src/rules/detection/detection-processor.js';
import { loadRuleSet } from '../../../src/rules/detection/rule-set.js';

/** What one alert (rule and subject) should add up to after a replay. */
export interface ExpectedAlert {
  labels: Record<string, string>;
  auditIDs: Set<string>;
  matches: number;
  startsAt: number;
}

/**
 * The alerts a replay of `lines` must raise with the built-in rules and the default subject
 * (user, namespace, resource), keyed by their labels as JSON: the rules are run here on each
 * event, the alert bookkeeping is the test's own.
 */
export function expectedAlerts(lines: readonly string[], node: string): Map<string, ExpectedAlert> {
  const detections = new DetectionProcessor(loadRuleSet({ rulesFiles: [], disabledRules: [] }), new Registry());
  const rules = new Map(loadRuleSet({ rulesFiles: [], disabledRules: [] }).map((rule) => [rule.id, rule]));
  const expected = new Map<string, ExpectedAlert>();
  for (const line of lines) {
    const event = JSON.parse(line) as AuditEvent & { user?: { username?: string }; objectRef?: { namespace?: string; resource?: string } };
    for (const id of detections.evaluate(event)) {
      const labels: Record<string, string> = { alertname: id.split('-').map((part) => part[0]!.toUpperCase() + part.slice(1)).join(''), rule: id, severity: rules.get(id)!.severity, node };
      if (event.user?.username) labels.user = event.user.username;
      if (event.objectRef?.namespace) labels.namespace = event.objectRef.namespace;
      if (event.objectRef?.resource) labels.resource = event.objectRef.resource;
      const key = labelKey(labels);
      const time = eventTimeOf(event)!;
      const alert = expected.get(key) ?? { labels, auditIDs: new Set<string>(), matches: 0, startsAt: Number.POSITIVE_INFINITY };
      alert.matches++;
      alert.auditIDs.add(String(event.auditID));
      alert.startsAt = Math.min(alert.startsAt, time.seconds * 1000 + Math.floor(time.nanoseconds / 1e6));
      expected.set(key, alert);
    }
  }
  return expected;
}

/** Labels as one comparable string, independent of their order. */
export function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}
