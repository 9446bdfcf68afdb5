import { compileCondition, type ValuesPredicate } from '../language/condition.js';
import { fieldSource } from '../language/event-field.js';
import { isGlob, literalRunsOf } from '../language/glob.js';
import { compileByteFieldReader, memberNeedle, type ByteFieldReader, type LineFields, type MemberNeedle } from './line-fields.js';
import { topLevelMemberId } from '../top-level-members.js';

/**
 * What a set of field conditions needs to find in a line's bytes before it can hold, so that a
 * rule is ruled out without parsing the event. A condition that cannot hold on a field without
 * values (everything but `exists: false`, `not`, …) needs its top-level member to be there
 * (`impersonatedUser` is absent from almost every event), and then:
 *
 * - on small members, to hold on the field's values read from the bytes (see line-fields.ts):
 *   `user.username` without parsing `user`, `sourceIPs[0]` parsing only that array;
 * - on the request and response bodies, where walking or parsing costs, the literal keys of its
 *   path (`"privileged"`) among the body's bytes and, when it compares with strings
 *   (`roleRef.name: cluster-admin`, globs such as `kubernetes.io/*`), one of the literal
 *   stretches of each alternative.
 *
 * The byte checks hold for the bytes of any event the condition holds on: JSON spells a string's
 * characters as themselves unless it escapes them, and a body whose bytes hold `\u` or `\/`
 * (the only escapes of characters a key or needle may contain) skips them.
 */
export interface Requirement {
  /** The id of the top-level member the field is in (see topLevelMemberId). */
  readonly member: number;
  /** Each must occur in the member's bytes. */
  readonly keys: readonly MemberNeedle[];
  /** When given, one of them must occur in the member's bytes. */
  readonly needles?: readonly MemberNeedle[];
  /** The escapes that, when in the member's bytes, let the requirement hold without looking for keys and needles. */
  readonly escapes: readonly MemberNeedle[];
  /** For small members, instead: the field read from the bytes, and the condition it must meet. */
  readonly exact?: { readonly read: ByteFieldReader; readonly holds: ValuesPredicate };
}

/** Bodies are where parsing costs; looking for keys in small members would cost more than it saves. */
const BODY_MEMBERS = new Set(['requestObject', 'responseObject']);
/** Escapes that could spell a needle's characters differently from its plain bytes. */
const ESCAPES = [Buffer.from('\\u'), Buffer.from('\\/')];
/** Characters a needle may hold: printable ASCII but the quote and backslash, which JSON escapes. */
const PLAIN = /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/;
/**
 * Characters that String() of a number can produce. A string condition also matches numbers and
 * booleans by their String() (`code: "40?"`), which JSON spells differently (`4.03e2`), so a
 * needle must hold a character that no number (JSON's `1e999` is Infinity) and no `true`/`false` can.
 */
const NUMBER_TEXT = /^[0-9.e+-]*$/;
const NUMBER_AND_BOOLEAN_WORDS = ['-Infinity', 'true', 'false'];

/** The requirements of a condition set (a `match` map or one `any` branch); none when nothing can be required. */
export function requirementsOf(conditions: Record<string, unknown>): Requirement[] {
  const requirements: Requirement[] = [];
  for (const [field, condition] of Object.entries(conditions)) {
    if (compileCondition(condition)([])) continue;
    const source = fieldSource(field);
    if (source === undefined) continue;
    const member = topLevelMemberId(source.member);
    const read = BODY_MEMBERS.has(source.member) ? undefined : compileByteFieldReader(field);
    if (read !== undefined) {
      requirements.push({ member, keys: [], escapes: [], exact: { read, holds: compileCondition(condition) } });
      continue;
    }
    const inMember = (bytes: Buffer): MemberNeedle => memberNeedle(source.member, bytes);
    const keys = source.keys.filter((key) => PLAIN.test(key)).map((key) => inMember(Buffer.from(`"${key}"`)));
    const needles = needlesOf(condition)?.map(inMember);
    const escapes = ESCAPES.map(inMember);
    requirements.push(needles === undefined ? { member, keys, escapes } : { member, keys, needles, escapes });
  }
  return requirements;
}

/** Whether every requirement may hold for the line (always, for a line whose members are not known). */
export function mayAllHold(requirements: readonly Requirement[], fields: LineFields): boolean {
  for (const requirement of requirements) if (!mayHold(requirement, fields)) return false;
  return true;
}

function mayHold(requirement: Requirement, fields: LineFields): boolean {
  // No condition that needs a value holds on a field whose member is absent (requirementsOf kept
  // only those): the member table tells, before any field is read (`impersonatedUser`).
  if (!fields.has(requirement.member)) return false;
  if (requirement.exact !== undefined) {
    const values = fields.valuesOf(requirement.exact.read);
    return values === undefined || requirement.exact.holds(values);
  }
  if (requirement.keys.length === 0 && requirement.needles === undefined) return true;
  if (holdsAny(requirement.escapes, fields)) return true;
  for (const key of requirement.keys) if (!fields.holds(key)) return false;
  return requirement.needles === undefined || holdsAny(requirement.needles, fields);
}

function holdsAny(needles: readonly MemberNeedle[], fields: LineFields): boolean {
  for (const needle of needles) if (fields.holds(needle)) return true;
  return false;
}

/**
 * One needle per alternative of a string condition (a scalar or a list of them): its longest
 * literal stretch, quoted on the side where the pattern is anchored. Undefined when some
 * alternative has none (a number, an operator map, `*`, a stretch a number could spell).
 */
function needlesOf(condition: unknown): Buffer[] | undefined {
  const alternatives = Array.isArray(condition) ? condition.flat(Infinity) : [condition];
  const needles: Buffer[] = [];
  for (const alternative of alternatives) {
    if (typeof alternative !== 'string') return undefined;
    const runs = literalRunsOf(alternative).filter(({ text }) => PLAIN.test(text) && !NUMBER_TEXT.test(text) && !NUMBER_AND_BOOLEAN_WORDS.some((word) => word.includes(text)));
    if (runs.length === 0) return undefined;
    const longest = runs.reduce((best, run) => (run.text.length > best.text.length ? run : best));
    const exact = !isGlob(alternative);
    const quoteBefore = longest.atStart || exact ? '"' : '';
    const quoteAfter = longest.atEnd || exact ? '"' : '';
    needles.push(Buffer.from(`${quoteBefore}${longest.text}${quoteAfter}`));
  }
  return needles;
}
