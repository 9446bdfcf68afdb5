import { compileCondition, type ValuesPredicate } from '../language/condition.js';
import { compileEventField, type EventFieldReader } from '../language/event-field.js';
import type { MatchInput } from './compiled-matcher.js';
import { compileByteFieldReader, type ByteFieldReader, type LineFields } from './line-fields.js';

/**
 * A rule's own conditions (`match`, `any`, `unless`, as compileMatcher reads them) evaluated on
 * the values the line's bytes give for every field they can tell (see line-fields.ts), and on
 * the event for the rest (pod specs, execCommand, a line that was rewritten). A rule that got
 * past the index and the guards then reads `user.username` or the decision annotation from the
 * bytes already scanned, instead of having the lazily parsed event build `user` or
 * `annotations` whole; the values are the same, so is the verdict.
 */
export type LineConditions = (input: MatchInput, fields: LineFields | undefined) => boolean;

interface FieldTest {
  readonly fromBytes: ByteFieldReader | undefined;
  readonly fromEvent: EventFieldReader;
  readonly holds: ValuesPredicate;
}

type SetTest = (input: MatchInput, fields: LineFields | undefined) => boolean;

/** `rule` is a validated rule's spec (parseDetectionRule compiled it already). */
export function compileLineConditions(rule: { readonly match?: unknown; readonly any?: unknown; readonly unless?: unknown }): LineConditions {
  const all = rule.match === undefined ? undefined : compileSet(rule.match);
  const any = Array.isArray(rule.any) ? rule.any.map(compileSet) : undefined;
  const unless = Array.isArray(rule.unless) ? rule.unless.map(compileSet) : undefined;
  return (input, fields) =>
    (all === undefined || all(input, fields)) && (any === undefined || anyHolds(any, input, fields)) && (unless === undefined || !anyHolds(unless, input, fields));
}

/** A loop, not `some` with a closure made per call: this runs for most lines. */
function anyHolds(sets: readonly SetTest[], input: MatchInput, fields: LineFields | undefined): boolean {
  for (let index = 0; index < sets.length; index += 1) if (sets[index]!(input, fields)) return true;
  return false;
}

function compileSet(spec: unknown): SetTest {
  const tests: FieldTest[] = Object.entries(spec as Record<string, unknown>).map(([field, condition]) => ({
    fromBytes: compileByteFieldReader(field),
    fromEvent: compileEventField(field),
    holds: compileCondition(condition),
  }));
  return (input, fields) => {
    for (const test of tests) if (!test.holds(valuesOf(test, input, fields))) return false;
    return true;
  };
}

/** The event (a lazily parsed one is built on first read) only when the bytes cannot tell. */
function valuesOf(test: FieldTest, input: MatchInput, fields: LineFields | undefined): readonly unknown[] {
  const values = fields !== undefined && test.fromBytes !== undefined ? fields.valuesOf(test.fromBytes) : undefined;
  return values ?? test.fromEvent(input.event);
}
