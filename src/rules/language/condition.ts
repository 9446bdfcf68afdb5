import { compileGlob } from './glob.js';
import { RuleSyntaxError } from './rule-syntax-error.js';

/**
 * What a rule says about one field, compiled into a test over the field's values (a field can
 * have several: `podContainers.image` has one per container). The forms:
 *
 * - a scalar: some value equals it; strings are globs (`system:serviceaccount:*`);
 * - a list: some value matches some entry (`verb: [create, update, patch]`);
 * - an operator map, all of whose operators must hold:
 *   `gt`/`gte`/`lt`/`lte` (numbers; `{gte: 400, lt: 500}` must hold for the same value),
 *   `regex` (JavaScript syntax, `/pattern/flags` for flags), `exists` (true/false), `not` (any
 *   condition; true when it fails, including when the field is absent), `every` (any condition that
 *   each value must meet on its own, and there is at least one value: "all images are trusted").
 */
export type ValuesPredicate = (values: readonly unknown[]) => boolean;
type ValuePredicate = (value: unknown) => boolean;

const VALUE_OPERATORS = ['gt', 'gte', 'lt', 'lte', 'regex'] as const;
const LIST_OPERATORS = ['exists', 'not', 'every'] as const;

export function compileCondition(spec: unknown): ValuesPredicate {
  if (Array.isArray(spec)) {
    if (spec.length === 0) throw new RuleSyntaxError('an empty list matches nothing');
    const alternatives = spec.map((entry) => compileCondition(entry));
    return (values) => {
      for (const alternative of alternatives) if (alternative(values)) return true;
      return false;
    };
  }
  if (spec !== null && typeof spec === 'object') return compileOperators(spec as Record<string, unknown>);
  const matches = compileScalar(spec);
  return (values) => values.some(matches);
}

function compileScalar(spec: unknown): ValuePredicate {
  if (typeof spec === 'string') {
    const glob = compileGlob(spec);
    return (value) =>
      typeof value === 'string' ? glob(value) : (typeof value === 'number' || typeof value === 'boolean') && glob(String(value));
  }
  if (typeof spec === 'number') return (value) => value === spec || (typeof value === 'string' && value === String(spec));
  if (typeof spec === 'boolean') return (value) => value === spec;
  throw new RuleSyntaxError(`a condition must be a string, number, boolean, list or operator map, got ${JSON.stringify(spec)}`);
}

function compileOperators(spec: Record<string, unknown>): ValuesPredicate {
  const keys = Object.keys(spec);
  if (keys.length === 0) throw new RuleSyntaxError('an empty operator map');
  const valueTests: ValuePredicate[] = [];
  const listTests: ValuesPredicate[] = [];
  for (const key of keys) {
    const operand = spec[key];
    switch (key) {
      case 'gt':
        valueTests.push(numeric(key, operand, (value, limit) => value > limit));
        break;
      case 'gte':
        valueTests.push(numeric(key, operand, (value, limit) => value >= limit));
        break;
      case 'lt':
        valueTests.push(numeric(key, operand, (value, limit) => value < limit));
        break;
      case 'lte':
        valueTests.push(numeric(key, operand, (value, limit) => value <= limit));
        break;
      case 'regex':
        valueTests.push(regex(operand));
        break;
      case 'exists': {
        if (typeof operand !== 'boolean') throw new RuleSyntaxError('exists takes true or false');
        listTests.push((values) => values.length > 0 === operand);
        break;
      }
      case 'not': {
        const inner = compileCondition(operand);
        listTests.push((values) => !inner(values));
        break;
      }
      case 'every': {
        const inner = compileCondition(operand);
        // One list per operator, refilled per value: a rule is evaluated synchronously, and a
        // nested `every` is another operator with a list of its own.
        const one: unknown[] = [undefined];
        listTests.push((values) => {
          if (values.length === 0) return false;
          for (let index = 0; index < values.length; index += 1) {
            one[0] = values[index];
            if (!inner(one)) return false;
          }
          return true;
        });
        break;
      }
      default:
        throw new RuleSyntaxError(
          `unknown operator "${key}" (known: ${[...VALUE_OPERATORS, ...LIST_OPERATORS].join(', ')})`,
        );
    }
  }
  // Loops rather than some/every with closures: rules run on every line, and the closures made
  // per call were garbage of their own.
  if (valueTests.length > 0) {
    listTests.push((values) => {
      for (let index = 0; index < values.length; index += 1) if (allHold(valueTests, values[index])) return true;
      return false;
    });
  }
  if (listTests.length === 1) return listTests[0]!;
  return (values) => {
    for (let index = 0; index < listTests.length; index += 1) if (!listTests[index]!(values)) return false;
    return true;
  };
}

function allHold(tests: readonly ValuePredicate[], value: unknown): boolean {
  for (let index = 0; index < tests.length; index += 1) if (!tests[index]!(value)) return false;
  return true;
}

function numeric(operator: string, operand: unknown, compare: (value: number, limit: number) => boolean): ValuePredicate {
  if (typeof operand !== 'number' || !Number.isFinite(operand)) {
    throw new RuleSyntaxError(`${operator} takes a number, got ${JSON.stringify(operand)}`);
  }
  return (value) => typeof value === 'number' && compare(value, operand);
}

function regex(operand: unknown): ValuePredicate {
  if (typeof operand !== 'string') throw new RuleSyntaxError('regex takes a string');
  const withFlags = /^\/(.*)\/([a-z]*)$/s.exec(operand);
  let pattern: RegExp;
  try {
    pattern = withFlags ? new RegExp(withFlags[1]!, withFlags[2]) : new RegExp(operand);
  } catch (error) {
    throw new RuleSyntaxError(`bad regex ${JSON.stringify(operand)}: ${(error as Error).message}`);
  }
  return (value) => typeof value === 'string' && pattern.test(value);
}
