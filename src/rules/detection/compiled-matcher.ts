import type { AuditEvent } from '../../audit/audit-event.js';
import { compileCondition, type ValuesPredicate } from '../language/condition.js';
import { compileEventField, fieldSource } from '../language/event-field.js';
import type { DetectionRule } from './detection-rule.js';
import { isFailedResponse, stageValuesOf } from './rule-scope.js';

/** A line's top-level member bytes by key (see AuditRecord.topLevelBytes). */
export type TopLevelBytes = (key: string) => Buffer | null | undefined;

/**
 * The rule set compiled once into a matcher that tries each event only against the rules that
 * can match it, with the same results as evaluating every rule on every event (`rule.matches`;
 * a test holds the two to that over the corpus and generated events):
 *
 * - An index on what an event says about itself in small top-level fields: verb, resource,
 *   subresource, stage and whether it failed. Each rule's scope and its `match` conditions on
 *   those fields decide once, per distinct combination, whether the rule is a candidate; the
 *   candidate lists are kept by combination, so most events cost a few field reads and one lookup.
 * - A byte guard for conditions on the request and response bodies: a `match` (or every `any`
 *   branch) condition that cannot hold on a missing field needs the literal keys of its path in
 *   the body's bytes. When they are absent the body is never parsed (with lazily parsed lines,
 *   a lease update never parses its `requestObject` for the pod-spec rules). Bodies with `\u` or
 *   `\/` escapes, which could spell a key differently, are always parsed.
 */
export class CompiledMatcher {
  private readonly rules: CompiledRule[];
  private readonly candidatesByKey = new Map<string, CompiledRule[]>();

  constructor(rules: readonly DetectionRule[]) {
    this.rules = rules.map(compileRule);
  }

  /**
   * The rules whose scope and conditions hold for the event, in configured order (thresholds are
   * the caller's). `bytes`, when given, lets body guards rule fields out without parsing them.
   */
  match(event: AuditEvent, bytes?: TopLevelBytes): DetectionRule[] {
    const matched: DetectionRule[] = [];
    for (const candidate of this.candidatesFor(event)) {
      if (bytes !== undefined && candidate.guard !== undefined && !candidate.guard(bytes)) continue;
      if (candidate.rule.conditions(event)) matched.push(candidate.rule);
    }
    return matched;
  }

  private candidatesFor(event: AuditEvent): CompiledRule[] {
    const values = INDEX_READERS.map((read) => read(event));
    const stage = stageValuesOf(event);
    const failed = isFailedResponse(event);
    const key = indexKey(values, stage, failed);
    const known = key === undefined ? undefined : this.candidatesByKey.get(key);
    if (known) return known;
    const candidates = this.rules.filter(
      ({ rule, indexTests }) => rule.scope.includes(stage, failed) && indexTests.every(({ field, holds }) => holds(values[field]!)),
    );
    if (key !== undefined) {
      // Bounded: odd logs (a verb per request?) must not grow it without end.
      if (this.candidatesByKey.size >= MAX_KEYS) this.candidatesByKey.clear();
      this.candidatesByKey.set(key, candidates);
    }
    return candidates;
  }
}

interface CompiledRule {
  readonly rule: DetectionRule;
  /** The rule's `match` conditions on indexed fields. */
  readonly indexTests: ReadonlyArray<{ readonly field: number; readonly holds: ValuesPredicate }>;
  readonly guard?: (bytes: TopLevelBytes) => boolean;
}

/** Indexed fields, by every name a rule may give them. */
const INDEX_FIELDS: Readonly<Record<string, number>> = {
  verb: 0,
  resource: 1,
  'objectRef.resource': 1,
  subresource: 2,
  'objectRef.subresource': 2,
};
const INDEX_READERS = ['verb', 'objectRef.resource', 'objectRef.subresource'].map((field) => compileEventField(field));
const MAX_KEYS = 4096;

/** Bodies are where parsing costs; small members are cheaper to parse than to guard. */
const GUARDED_MEMBERS = new Set(['requestObject', 'responseObject']);
/** Escapes that could spell a key's letters differently from its plain bytes. */
const KEY_ESCAPES = [Buffer.from('\\u'), Buffer.from('\\/')];
const PLAIN_KEY = /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/;

function compileRule(rule: DetectionRule): CompiledRule {
  const match = asConditionMap(rule.source.match);
  const indexTests = Object.entries(match)
    .filter(([field]) => INDEX_FIELDS[field] !== undefined)
    .map(([field, condition]) => ({ field: INDEX_FIELDS[field]!, holds: compileCondition(condition) }));
  const guard = guardOf(rule);
  return guard ? { rule, indexTests, guard } : { rule, indexTests };
}

interface BodyRequirement {
  readonly member: string;
  /** `"key"` for each literal key of the path. */
  readonly keys: readonly Buffer[];
}

function guardOf(rule: DetectionRule): ((bytes: TopLevelBytes) => boolean) | undefined {
  const all = requirementsOf(asConditionMap(rule.source.match));
  const branches = Array.isArray(rule.source.any) ? rule.source.any.map((branch) => requirementsOf(asConditionMap(branch))) : [];
  const anyGuarded = branches.length > 0 && branches.every((branch) => branch.length > 0);
  if (all.length === 0 && !anyGuarded) return undefined;
  return (bytes) =>
    all.every((requirement) => mayHold(requirement, bytes)) &&
    (!anyGuarded || branches.some((branch) => branch.every((requirement) => mayHold(requirement, bytes))));
}

/** Requirements of the conditions that cannot hold on a field without values. */
function requirementsOf(conditions: Record<string, unknown>): BodyRequirement[] {
  const requirements: BodyRequirement[] = [];
  for (const [field, condition] of Object.entries(conditions)) {
    if (compileCondition(condition)([])) continue;
    const source = fieldSource(field);
    if (source === undefined || !GUARDED_MEMBERS.has(source.member)) continue;
    const keys = source.keys.filter((key) => PLAIN_KEY.test(key)).map((key) => Buffer.from(`"${key}"`));
    requirements.push({ member: source.member, keys });
  }
  return requirements;
}

function mayHold(requirement: BodyRequirement, bytes: TopLevelBytes): boolean {
  const value = bytes(requirement.member);
  if (value === undefined) return true;
  if (value === null) return false;
  if (KEY_ESCAPES.some((escape) => value.includes(escape))) return true;
  return requirement.keys.every((key) => value.includes(key));
}

function asConditionMap(spec: unknown): Record<string, unknown> {
  return spec !== null && typeof spec === 'object' && !Array.isArray(spec) ? (spec as Record<string, unknown>) : {};
}

/**
 * One string per combination of indexed values (each absent, or one string, length-prefixed so
 * no two combinations collide); undefined for unusual shapes (arrays, numbers), which are then
 * resolved without the cache.
 */
function indexKey(values: readonly (readonly unknown[])[], stage: readonly unknown[], failed: boolean): string | undefined {
  let key = failed ? '1' : '0';
  for (const list of [...values, stage]) {
    if (list.length === 0) key += '|-';
    else if (list.length === 1 && typeof list[0] === 'string') key += `|${list[0].length}:${list[0]}`;
    else return undefined;
  }
  return key;
}
