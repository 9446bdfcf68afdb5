import type { AuditEvent } from '../../audit/audit-event.js';
import { compileCondition } from './condition.js';
import { compileEventField } from './event-field.js';
import { RuleSyntaxError } from './rule-syntax-error.js';

/**
 * The matching part shared by detection and filter rules:
 *
 * ```yaml
 * match:            # every field condition must hold
 *   resource: pods
 *   verb: [create, update, patch]
 * any:              # optional: at least one of these condition sets must hold
 *   - podSpec.hostNetwork: true
 *   - podSpec.hostPID: true
 * unless:           # optional: none of these condition sets may hold
 *   - user: system:serviceaccount:kube-system:*
 * ```
 */
export type EventPredicate = (event: AuditEvent) => boolean;

export function compileMatcher(rule: Record<string, unknown>): EventPredicate {
  if (rule.match === undefined && rule.any === undefined) {
    throw new RuleSyntaxError('needs "match" or "any"');
  }
  const all = rule.match === undefined ? undefined : compileConditionSet(rule.match, 'match');
  const any = rule.any === undefined ? undefined : compileSetList(rule.any, 'any');
  const unless = rule.unless === undefined ? undefined : compileSetList(rule.unless, 'unless');
  return (event) =>
    (all === undefined || all(event)) &&
    (any === undefined || any.some((set) => set(event))) &&
    (unless === undefined || !unless.some((set) => set(event)));
}

/** The fields a rule's match, any and unless read (the rule compiled, so its shape is valid). */
export function matcherFields(rule: Record<string, unknown>): string[] {
  const sets = [rule.match, ...(Array.isArray(rule.any) ? rule.any : []), ...(Array.isArray(rule.unless) ? rule.unless : [])];
  return [...new Set(sets.flatMap((set) => (set !== null && typeof set === 'object' ? Object.keys(set) : [])))];
}

function compileSetList(spec: unknown, where: string): EventPredicate[] {
  if (!Array.isArray(spec) || spec.length === 0) {
    throw new RuleSyntaxError(`"${where}" must be a non-empty list of field-condition maps`);
  }
  return spec.map((entry, index) => compileConditionSet(entry, `${where}[${index}]`));
}

export function compileConditionSet(spec: unknown, where: string): EventPredicate {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec) || Object.keys(spec).length === 0) {
    throw new RuleSyntaxError(`"${where}" must be a non-empty map of field: condition`);
  }
  const tests = Object.entries(spec).map(([field, condition]) => {
    try {
      const read = compileEventField(field);
      const holds = compileCondition(condition);
      return (event: AuditEvent) => holds(read(event));
    } catch (error) {
      throw new RuleSyntaxError(`${where}.${field}: ${(error as Error).message}`);
    }
  });
  return (event) => tests.every((test) => test(event));
}
