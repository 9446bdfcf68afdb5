import { compileCondition } from '../language/condition.js';
import { compileEventField } from '../language/event-field.js';
import { compileMatcher, matcherFields, type EventPredicate } from '../language/event-matcher.js';
import { RuleSyntaxError } from '../language/rule-syntax-error.js';

export const FILTER_ACTIONS = ['drop', 'keep'] as const;
export type FilterAction = (typeof FILTER_ACTIONS)[number];

/** One filter rule: the first rule an event matches decides whether it is shipped. */
export interface FilterRule {
  /** Label of the rule's counter: the `name` from the file, or the expression as written. */
  readonly name: string;
  readonly action: FilterAction;
  readonly matches: EventPredicate;
  /** The fields it reads, as written (paths or aliases). */
  readonly fields: readonly string[];
}

/**
 * A rule from a filter file:
 *
 * ```yaml
 * filters:
 *   - name: drop-lease-renewals
 *     action: drop
 *     match: {resource: leases, verb: [get, update], user: "system:node:*"}
 * ```
 */
export function parseFilterRule(raw: unknown): FilterRule {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new RuleSyntaxError('a filter must be a map');
  const spec = raw as Record<string, unknown>;
  if (typeof spec.name !== 'string' || spec.name === '') throw new RuleSyntaxError('a filter needs a "name"');
  try {
    const unknownKeys = Object.keys(spec).filter((key) => !['name', 'action', 'match', 'any', 'unless'].includes(key));
    if (unknownKeys.length > 0) throw new RuleSyntaxError(`unknown key(s) ${unknownKeys.join(', ')}`);
    if (!(FILTER_ACTIONS as readonly unknown[]).includes(spec.action)) {
      throw new RuleSyntaxError(`action must be ${FILTER_ACTIONS.join(' or ')}`);
    }
    return { name: spec.name, action: spec.action as FilterAction, matches: compileMatcher(spec), fields: matcherFields(spec) };
  } catch (error) {
    throw new RuleSyntaxError(`filter ${spec.name}: ${(error as Error).message}`);
  }
}

/**
 * A rule written on the command line or in an environment variable: space-separated terms that
 * must all hold, each `field=glob[,glob…]`, `field!=glob[,glob…]` or a numeric comparison
 * `field>=N` (also `>`, `<`, `<=`). Fields are event paths or the aliases of event-field.ts:
 *
 *     verb=get,list,watch user=system:kube-*        code>=400 code<500        resource!=secrets
 */
export function parseFilterExpression(expression: string, action: FilterAction): FilterRule {
  const terms = expression.trim().split(/\s+/).filter((term) => term.length > 0);
  if (terms.length === 0) throw new RuleSyntaxError('empty filter expression');
  const fields: string[] = [];
  const tests = terms.map((term) => {
    const match = /^([^=!<>]+)(!=|>=|<=|=|>|<)(.*)$/.exec(term);
    if (!match || match[3] === '') {
      throw new RuleSyntaxError(`"${term}" is not field=value, field!=value or field>=number`);
    }
    const [, field, operator, value] = match as unknown as [string, string, string, string];
    fields.push(field);
    const read = compileEventField(field);
    const holds = compileCondition(conditionFor(operator, value, term));
    return (event: Parameters<EventPredicate>[0]) => holds(read(event));
  });
  return { name: expression.trim(), action, matches: (event) => tests.every((test) => test(event)), fields: [...new Set(fields)] };
}

function conditionFor(operator: string, value: string, term: string): unknown {
  const alternatives = value.split(',');
  if (operator === '=') return alternatives;
  if (operator === '!=') return { not: alternatives };
  const limit = Number(value);
  if (!/^-?\d+(\.\d+)?$/.test(value)) throw new RuleSyntaxError(`"${term}": ${operator} needs a number`);
  const name = { '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte' }[operator]!;
  return { [name]: limit };
}
