import { notInAuditSchema } from '../../audit/audit-event-schema.js';
import type { ProcessorConfig } from '../processor-options.js';
import { fieldSource } from './event-field.js';

/** The warnings of every filter and every custom detection rule (built-ins are held to the schema by their tests). */
export function ruleFieldWarnings(config: Pick<ProcessorConfig, 'filters' | 'rules'>): string[] {
  return [...unknownRuleFields('filter', config.filters), ...unknownRuleFields('detection rule', config.rules.filter((rule) => !rule.builtin))];
}

/**
 * Warnings for rule fields no audit event has: a mistyped field never has a value, so a filter
 * on it quietly drops nothing (or, with `!=`, everything it otherwise matches) and a detection
 * never fires. Fields computed from several members (`execCommand`) and free-form objects
 * (`requestObject…`) are not checked.
 */
export function unknownRuleFields(kind: 'filter' | 'detection rule', rules: ReadonlyArray<{ readonly fields: readonly string[] } & ({ readonly name: string } | { readonly id: string })>): string[] {
  const warnings: string[] = [];
  for (const rule of rules) {
    const name = 'name' in rule ? rule.name : rule.id;
    for (const field of rule.fields) {
      const source = fieldSource(field);
      const problem = source && notInAuditSchema(source.member, source.keys);
      if (problem) warnings.push(`${kind} "${name}" reads ${field}, which no audit event has: ${problem}`);
    }
  }
  return warnings;
}
