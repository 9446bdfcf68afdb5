import { RuleSyntaxError } from './rule-syntax-error.js';

/**
 * A small path syntax for reaching into JSON values, shared by redaction, filter and detection
 * rules: `requestObject.spec.containers[*].image`, `annotations["authorization.k8s.io/decision"]`,
 * `data.*` (every value of a map), `items[0]`.
 *
 * A key step applied to an array applies to each element, so `rules.verbs` reads the verbs of
 * every rule without spelling out `[*]`; this is what rule authors expect from Falco and Sigma.
 */
export type PathSegment =
  | { readonly kind: 'key'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'wildcard' };

export function parsePath(text: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let position = 0;
  const fail = (why: string): never => {
    throw new RuleSyntaxError(`bad path "${text}" at character ${position + 1}: ${why}`);
  };
  while (position < text.length) {
    if (text[position] === '[') {
      const close = findBracketEnd(text, position) ?? fail('unclosed [');
      const inner = text.slice(position + 1, close).trim();
      if (inner === '*') segments.push({ kind: 'wildcard' });
      else if (/^\d+$/.test(inner)) segments.push({ kind: 'index', index: Number(inner) });
      else if (/^(".*"|'.*')$/.test(inner)) segments.push({ kind: 'key', name: inner.slice(1, -1) });
      else fail('expected [*], [<number>] or ["<key>"]');
      position = close + 1;
    } else {
      if (segments.length > 0) {
        if (text[position] !== '.') fail('expected . or [');
        position += 1;
      }
      const match = /^[^.[\]"']+/.exec(text.slice(position)) ?? fail('expected a field name');
      const name = match[0];
      segments.push(name === '*' ? { kind: 'wildcard' } : { kind: 'key', name });
      position += name.length;
    }
  }
  if (segments.length === 0) fail('empty path');
  return segments;
}

function findBracketEnd(text: string, open: number): number | undefined {
  const quote = text[open + 1];
  if (quote === '"' || quote === "'") {
    const closeQuote = text.indexOf(quote, open + 2);
    if (closeQuote < 0 || text[closeQuote + 1] !== ']') return undefined;
    return closeQuote + 1;
  }
  const close = text.indexOf(']', open);
  return close < 0 ? undefined : close;
}

/** Every value the path reaches from `root` (none when a step is missing). */
export function readPath(root: unknown, segments: readonly PathSegment[]): unknown[] {
  let current: unknown[] = [root];
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const value of current) collectStep(value, segment, next);
    if (next.length === 0) return next;
    current = next;
  }
  return current;
}

function collectStep(value: unknown, segment: PathSegment, into: unknown[]): void {
  if (value === null || typeof value !== 'object') return;
  if (segment.kind === 'wildcard') {
    for (const child of Object.values(value)) if (child !== undefined && child !== null) into.push(child);
  } else if (Array.isArray(value)) {
    if (segment.kind === 'index') {
      const child = value[segment.index];
      if (child !== undefined && child !== null) into.push(child);
    } else {
      for (const element of value) collectStep(element, segment, into);
    }
  } else if (segment.kind === 'key' && Object.hasOwn(value, segment.name)) {
    const child = (value as Record<string, unknown>)[segment.name];
    if (child !== undefined && child !== null) into.push(child);
  }
}

/**
 * Replaces every value the path reaches with `replacement(value)` in place. A replacement that
 * returns the same value is not counted; the count says how many values really changed.
 */
export function rewritePath(
  root: unknown,
  segments: readonly PathSegment[],
  replacement: (value: unknown) => unknown,
): number {
  if (segments.length === 0) return 0;
  const [segment, ...rest] = segments as [PathSegment, ...PathSegment[]];
  if (root === null || typeof root !== 'object') return 0;
  const container = root as Record<string | number, unknown>;
  let keys: (string | number)[];
  if (segment.kind === 'wildcard') keys = Array.isArray(root) ? root.map((_, index) => index) : Object.keys(root);
  else if (segment.kind === 'index') keys = Array.isArray(root) ? [segment.index] : [];
  else if (Array.isArray(root)) return root.reduce((sum: number, element) => sum + rewritePath(element, segments, replacement), 0);
  else keys = Object.hasOwn(root, segment.name) ? [segment.name] : [];

  let changed = 0;
  for (const key of keys) {
    const child = container[key];
    if (child === undefined || child === null) continue;
    if (rest.length > 0) {
      changed += rewritePath(child, rest, replacement);
      continue;
    }
    const replaced = replacement(child);
    if (replaced !== child) {
      container[key] = replaced;
      changed += 1;
    }
  }
  return changed;
}

/** The last literal key of a path: a cheap byte-level hint that the path can occur in an event. */
export function lastKeyOf(segments: readonly PathSegment[]): string | undefined {
  for (let index = segments.length - 1; index >= 0; index -= 1) {
    const segment = segments[index]!;
    if (segment.kind === 'key') return segment.name;
  }
  return undefined;
}
