import type { AuditEvent } from '../../audit/audit-event.js';
import { compileCondition, type ValuesPredicate } from '../language/condition.js';
import { compileEventField } from '../language/event-field.js';
import { mayAllHold, requirementsOf, type Requirement } from './byte-guard.js';
import type { DetectionRule } from './detection-rule.js';
import type { ScannedLine } from '../../pipeline/audit-record.js';
import { compileByteFieldReader, LineFields } from './line-fields.js';
import { compileLineConditions, type LineConditions } from './line-conditions.js';
import { isFailureCodeAmong } from './rule-scope.js';

/** What the matcher reads an event from: `event` is only read for the rules that get past the index and the guards. */
export interface MatchInput {
  readonly event: AuditEvent;
}

/**
 * The rule set compiled once into a matcher that tries each event only against the rules that
 * can match it, with the same results as evaluating every rule on every event (`rule.matches`;
 * a test holds the two to that over the corpus and generated events):
 *
 * - An index on what an event says about itself in small top-level fields: verb, resource,
 *   subresource, stage and response code. Each rule's scope and its conditions on those fields
 *   (in `match`, and per `any` branch) decide once, per distinct combination, whether the rule is
 *   a candidate and through which branches; the candidate lists are kept by combination, so most
 *   events cost a few field reads and one lookup.
 * - Byte guards (see byte-guard.ts) on the line's members for every other condition: a rule
 *   about impersonation is not tried on an event without `impersonatedUser`, one about
 *   `system:anonymous` not on an event whose `user.username`, read from the bytes, is another,
 *   a pod-spec rule never parses a lease's `requestObject`.
 */
export class CompiledMatcher {
  private readonly rules: CompiledRule[];
  /** Candidate lists by indexed values, one level of maps per indexed field (no key to build per event). */
  private readonly candidatesByValues: IndexLevel = new Map();
  private cachedCombinations = 0;
  /** The indexed values of the line being matched (matching is synchronous). */
  private readonly lineValues: (readonly unknown[])[] = [];
  /** Reused for every line: matching is synchronous. */
  private readonly fields = new LineFields();

  constructor(rules: readonly DetectionRule[]) {
    this.rules = rules.map(compileRule);
  }

  /**
   * The rules whose scope and conditions hold for the event, in configured order (thresholds are
   * the caller's). `line`, when given, lets the index and the guards read the line's bytes
   * instead of the event: most events are then decided without parsing any of it.
   */
  match(input: MatchInput, line?: ScannedLine): readonly DetectionRule[] {
    let fields: LineFields | undefined;
    if (line !== undefined) {
      fields = this.fields;
      fields.reset(line);
    }
    let matched: DetectionRule[] | undefined;
    for (const candidate of this.candidatesFor(input, fields)) {
      if (fields !== undefined && !mayMatch(candidate, fields)) continue;
      if (candidate.conditions(input, fields)) (matched ??= []).push(candidate.rule);
    }
    // Most lines match nothing: no list of their own.
    return matched ?? NO_RULES;
  }

  private candidatesFor(input: MatchInput, fields: LineFields | undefined): Candidate[] {
    const values = (fields && indexValuesOf(fields, this.lineValues)) || INDEX_READERS.map((read) => read(input.event));
    let level = this.candidatesByValues;
    for (let field = 0; field < values.length; field += 1) {
      const key = indexKeyOf(values[field]!);
      if (key === UNCACHEABLE) return this.candidatesAmong(values);
      let next = level.get(key);
      if (next === undefined) {
        next = field === values.length - 1 ? this.cache(this.candidatesAmong(values)) : new Map();
        level.set(key, next);
      }
      if (Array.isArray(next)) return next;
      level = next as IndexLevel;
    }
    throw new Error('unreachable: the last indexed field holds candidate lists');
  }

  private cache(candidates: Candidate[]): Candidate[] {
    // Bounded: odd logs (a verb per request?) must not grow it without end.
    if (this.cachedCombinations >= MAX_COMBINATIONS) {
      this.candidatesByValues.clear();
      this.cachedCombinations = 0;
    }
    this.cachedCombinations += 1;
    return candidates;
  }

  private candidatesAmong(values: readonly (readonly unknown[])[]): Candidate[] {
    const failed = isFailureCodeAmong(values[CODE]!);
    const holds = (tests: readonly IndexTest[]): boolean => tests.every(({ field, holds: test }) => test(values[field]!));
    const candidates: Candidate[] = [];
    for (const compiled of this.rules) {
      if (!compiled.rule.scope.includes(values[STAGE]!, failed) || !holds(compiled.indexTests)) continue;
      const { rule, conditions, requirements } = compiled;
      if (compiled.branches === undefined) {
        candidates.push({ rule, conditions, requirements });
        continue;
      }
      const branches = compiled.branches.filter((branch) => holds(branch.indexTests));
      if (branches.length === 0) continue;
      // A branch without requirements may always hold: then only the `match` part is guarded.
      const guarded = branches.every((branch) => branch.requirements.length > 0);
      candidates.push({ rule, conditions, requirements, ...(guarded ? { branches: branches.map((branch) => branch.requirements) } : {}) });
    }
    return candidates;
  }
}

type Requirements = readonly Requirement[];
type IndexLevel = Map<unknown, IndexLevel | Candidate[]>;

interface IndexTest {
  readonly field: number;
  readonly holds: ValuesPredicate;
}

/** A condition set (`match`, or one `any` branch), split into index tests and byte requirements. */
interface CompiledSet {
  readonly indexTests: readonly IndexTest[];
  readonly requirements: Requirements;
}

interface CompiledRule extends CompiledSet {
  readonly rule: DetectionRule;
  readonly conditions: LineConditions;
  /** The `any` branches, when the rule has them. */
  readonly branches?: readonly CompiledSet[];
}

/** A rule that the index let through for one combination of indexed values, with what its bytes must show. */
interface Candidate {
  readonly rule: DetectionRule;
  readonly conditions: LineConditions;
  readonly requirements: Requirements;
  /** The requirements of the `any` branches the index let through, one of which must hold; absent when not guarded. */
  readonly branches?: readonly Requirements[];
}

/** The `any` branches first: they are what sets most rules apart (`match: {decision: allow}` holds for most events). */
function mayMatch(candidate: Candidate, fields: LineFields): boolean {
  const branches = candidate.branches;
  if (branches !== undefined && !mayOneHold(branches, fields)) return false;
  return mayAllHold(candidate.requirements, fields);
}

// Loops rather than some/every with a closure: these run for every candidate of every line.
function mayOneHold(branches: readonly Requirements[], fields: LineFields): boolean {
  for (const branch of branches) if (mayAllHold(branch, fields)) return true;
  return false;
}

const VERB = 0;
const RESOURCE = 1;
const SUBRESOURCE = 2;
const STAGE = 3;
const CODE = 4;

/** Indexed fields, by every name a rule may give them. */
const INDEX_FIELDS: Readonly<Record<string, number>> = {
  verb: VERB,
  resource: RESOURCE,
  'objectRef.resource': RESOURCE,
  subresource: SUBRESOURCE,
  'objectRef.subresource': SUBRESOURCE,
  stage: STAGE,
  code: CODE,
  'responseStatus.code': CODE,
};
const INDEXED = ['verb', 'objectRef.resource', 'objectRef.subresource', 'stage', 'responseStatus.code'];
const INDEX_READERS = INDEXED.map((field) => compileEventField(field));
const INDEX_BYTE_READERS = INDEXED.map((field) => compileByteFieldReader(field)!);
const MAX_COMBINATIONS = 16_384;


/** The indexed values from the line's bytes, into `values`; undefined when the bytes cannot tell. */
function indexValuesOf(fields: LineFields, values: (readonly unknown[])[]): (readonly unknown[])[] | undefined {
  for (let field = 0; field < INDEX_BYTE_READERS.length; field += 1) {
    const value = fields.valuesOf(INDEX_BYTE_READERS[field]!);
    if (value === undefined) return undefined;
    values[field] = value;
  }
  return values;
}

function compileRule(rule: DetectionRule): CompiledRule {
  const match = compileSet(asConditionMap(rule.source.match));
  const conditions = compileLineConditions(rule.source);
  if (!Array.isArray(rule.source.any)) return { rule, conditions, ...match };
  return { rule, conditions, ...match, branches: rule.source.any.map((branch) => compileSet(asConditionMap(branch))) };
}

function compileSet(conditions: Record<string, unknown>): CompiledSet {
  const entries = Object.entries(conditions);
  const indexed = entries.filter(([field]) => INDEX_FIELDS[field] !== undefined);
  const indexTests = indexed.map(([field, condition]) => ({ field: INDEX_FIELDS[field]!, holds: compileCondition(condition) }));
  // A candidate has passed its index tests on the same values: guarding them again would only read them again.
  const guarded = Object.fromEntries(entries.filter(([field]) => INDEX_FIELDS[field] === undefined));
  return { indexTests, requirements: requirementsOf(guarded) };
}

function asConditionMap(spec: unknown): Record<string, unknown> {
  return spec !== null && typeof spec === 'object' && !Array.isArray(spec) ? (spec as Record<string, unknown>) : {};
}

const NO_RULES: readonly DetectionRule[] = Object.freeze([]);
const ABSENT = Symbol('absent');
const UNCACHEABLE = Symbol('uncacheable');

/**
 * A field's values as one map key: absent, or its one string or number (a string and a number
 * never collide as Map keys); UNCACHEABLE for unusual shapes (arrays, objects), which are then
 * resolved without the cache.
 */
function indexKeyOf(values: readonly unknown[]): unknown {
  if (values.length === 0) return ABSENT;
  if (values.length !== 1) return UNCACHEABLE;
  const value = values[0];
  return typeof value === 'string' || typeof value === 'number' ? value : UNCACHEABLE;
}
