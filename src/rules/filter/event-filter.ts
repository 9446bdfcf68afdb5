import { Counter, type Registry } from 'prom-client';
import { startAtZero } from '../../observability/metrics.js';
import type { AuditRecord } from '../../pipeline/audit-record.js';
import type { Processor, ProcessorVerdict } from '../../pipeline/processor.js';
import type { FilterRule } from './filter-rule.js';

/**
 * Drops or keeps events by rules, firewall style: the first rule an event matches decides, and
 * an event no rule matches is kept. A dropped event's line still counts as handled, so the
 * checkpoint moves past it. Every decision is counted per rule, so an operator can see what a
 * rule costs in lost visibility.
 */
export class EventFilter implements Processor {
  readonly name = 'filter';
  readonly readsEveryEvent = true;
  private readonly decisions: Counter<'rule' | 'action'>;

  constructor(
    private readonly rules: readonly FilterRule[],
    registry: Registry,
  ) {
    this.decisions = new Counter({
      name: 'kube_audit_forwarder_filter_events_total',
      help: 'Events decided by a filter rule, by rule and action (drop or keep)',
      labelNames: ['rule', 'action'],
      registers: [registry],
    });
    startAtZero(this.decisions, rules.map((rule) => ({ rule: rule.name, action: rule.action })));
  }

  process(record: AuditRecord): ProcessorVerdict {
    for (const rule of this.rules) {
      if (rule.matches(record.event)) {
        this.decisions.inc({ rule: rule.name, action: rule.action });
        return rule.action;
      }
    }
    return 'keep';
  }
}
