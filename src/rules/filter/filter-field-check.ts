import { notInAuditSchema } from '../../audit/audit-event-schema.js';
import { fieldSource } from '../language/event-field.js';
import type { FilterRule } from './filter-rule.js';

/**
 * Warnings for filter fields no audit event has: a mistyped field never has a value, so its rule
 * quietly drops nothing (or, with `!=`, everything it otherwise matches). Fields computed from
 * several members (`execCommand`) and free-form objects (`requestObject…`) are not checked.
 */
export function unknownFilterFields(rules: readonly FilterRule[]): string[] {
  const warnings: string[] = [];
  for (const rule of rules) {
    for (const field of rule.fields) {
      const source = fieldSource(field);
      const problem = source && notInAuditSchema(source.member, source.keys);
      if (problem) warnings.push(`filter "${rule.name}" reads ${field}, which no audit event has: ${problem}`);
    }
  }
  return warnings;
}
