import { lastKeyOf, parsePath, type PathSegment } from './field-path.js';
import { RuleSyntaxError } from './rule-syntax-error.js';

/**
 * Where a redaction applies, written `[Kind:]path`:
 *
 * - `Secret:data.*` — in every object of kind Secret found anywhere in `requestObject` or
 *   `responseObject` (single objects, items of Lists, rows of Tables, watch events), every value
 *   of `data`; the path is relative to that object;
 * - `requestObject.spec.password`, `user.extra["example.com/token"]` — a path from the event root.
 *
 * Values are replaced by the marker; map keys stay, so readers still see which keys changed.
 */
export interface RedactionPath {
  readonly text: string;
  /** Object kind the path is relative to, or undefined for a path from the event root. */
  readonly kind?: string;
  readonly segments: readonly PathSegment[];
  /** Bytes whose absence from an event proves the path cannot match it (the cheap pre-check). */
  readonly hint: Buffer;
}

const KIND_PREFIX = /^([A-Z][A-Za-z0-9]*):(.+)$/;

export function parseRedactionPath(text: string): RedactionPath {
  const scoped = KIND_PREFIX.exec(text);
  const segments = parsePath(scoped ? scoped[2]! : text);
  const hintKey = scoped ? scoped[1]! : lastKeyOf(segments);
  if (hintKey === undefined) throw new RuleSyntaxError(`redaction path "${text}" names no field`);
  return {
    text,
    ...(scoped ? { kind: scoped[1]! } : {}),
    segments,
    hint: Buffer.from(JSON.stringify(hintKey)),
  };
}
