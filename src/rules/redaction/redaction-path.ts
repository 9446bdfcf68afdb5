import { lastKeyOf, parsePath, type PathSegment } from '../language/field-path.js';
import { RuleSyntaxError } from '../language/rule-syntax-error.js';

/**
 * Where a redaction applies, written `[Kind:|resource:]path`:
 *
 * - `Secret:data.*` — in every object of kind Secret found anywhere in `requestObject` or
 *   `responseObject` (single objects, items of Lists, rows of Tables), every value of `data`;
 *   the path is relative to that object;
 * - `configmaps:data.*` — in the request and response bodies of requests on that resource (no
 *   subresource), whatever their kind: this reaches patch bodies, which carry no `kind`;
 * - `requestObject.spec.password`, `user.extra["example.com/token"]` — a path from the event root.
 *
 * A capitalised scope is a kind, a lower-case one a resource. Values are replaced by the marker;
 * map keys stay, so readers still see which keys changed.
 */
export interface RedactionPath {
  readonly text: string;
  readonly scope: { readonly kind: string } | { readonly resource: string } | 'event';
  readonly segments: readonly PathSegment[];
  /** Bytes whose absence from an event proves the path cannot match it (the cheap pre-check). */
  readonly hint: Buffer;
}

const SCOPE_PREFIX = /^([A-Za-z][A-Za-z0-9.-]*):(.+)$/;

export function parseRedactionPath(text: string): RedactionPath {
  const scoped = SCOPE_PREFIX.exec(text);
  const segments = parsePath(scoped ? scoped[2]! : text);
  const scopeName = scoped?.[1];
  const hintKey = scopeName ?? lastKeyOf(segments);
  if (hintKey === undefined) throw new RuleSyntaxError(`redaction path "${text}" names no field`);
  const scope = scopeName === undefined ? 'event' : /^[A-Z]/.test(scopeName) ? { kind: scopeName } : { resource: scopeName };
  return { text, scope, segments, hint: Buffer.from(JSON.stringify(hintKey)) };
}
