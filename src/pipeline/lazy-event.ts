import type { AuditEvent } from '../audit/audit-event.js';
import { MEMBER_FIELDS, skipWhitespace, type MemberTable } from './json-scanner.js';
import { isPlainAt, plainStringAt } from './plain-string-cache.js';

/**
 * An audit event that parses itself one top-level field at a time, on first access. Rules,
 * filters and sinks mostly read a few small fields (verb, objectRef, user, stageTimestamp); the
 * request and response bodies that make up most of an event's bytes are parsed only when a rule
 * that passed its cheap conditions looks into them, or never.
 *
 * It behaves as the object JSON.parse would return: same keys in the same order (a repeated key
 * keeps its first position and its last value), writable, deletable, serialisable by
 * JSON.stringify and msgpack, with Object.prototype as prototype. It is a Proxy so that every
 * reader, including user-written rule paths, works unchanged.
 */
export function lazyAuditEvent(bytes: Buffer, members: MemberTable): AuditEvent {
  return new Proxy(new LazyFields(bytes, members), HANDLER) as unknown as AuditEvent;
}

/** Marks a key the event does not have: never in the line, or deleted. */
const ABSENT = Symbol('absent');

/** The proxy's target: the line's bytes, where its members lie, and what was parsed or changed. */
class LazyFields {
  /** Parsed or assigned values by key, and ABSENT for keys known not to be there. */
  private readonly values = new Map<string, unknown>();
  /** Keys assigned that the event did not have at the time, in assignment order (they enumerate last). */
  private added: string[] | undefined;
  /** Keys of the line that were deleted (and maybe assigned again, then listed in `added`). */
  private removed: Set<string> | undefined;
  /** The line's own keys, decoded and de-duplicated, built on first enumeration. */
  private lineKeys: string[] | undefined;

  constructor(
    private readonly bytes: Buffer,
    private readonly members: MemberTable,
  ) {}

  /** The value of `key`, or ABSENT. */
  lookup(key: string): unknown {
    let value = this.values.get(key);
    if (value !== undefined || this.values.has(key)) return value;
    const member = lastMemberNamed(this.bytes, this.members, key);
    value = member < 0 ? ABSENT : this.parseValue(member);
    this.values.set(key, value);
    return value;
  }

  set(key: string, value: unknown): void {
    if (this.lookup(key) === ABSENT) (this.added ??= []).push(key);
    this.values.set(key, value);
  }

  delete(key: string): void {
    if (this.lookup(key) === ABSENT) return;
    this.values.set(key, ABSENT);
    if (this.added?.includes(key)) this.added = this.added.filter((name) => name !== key);
    else (this.removed ??= new Set()).add(key);
  }

  keys(): string[] {
    this.lineKeys ??= this.decodeKeys();
    const removed = this.removed;
    const keys = removed ? this.lineKeys.filter((key) => !removed.has(key)) : [...this.lineKeys];
    return this.added ? keys.concat(this.added) : keys;
  }


  private parseValue(at: number): unknown {
    return parseValueAt(this.bytes, this.members[at + 2]!, this.members[at + 3]!);
  }

  private decodeKeys(): string[] {
    const keys = new Set<string>();
    for (let at = 0; at < this.members.length; at += MEMBER_FIELDS) {
      keys.add(decodeKey(this.bytes, this.members[at]!, this.members[at + 1]!));
    }
    return [...keys];
  }
}

/** The JSON value in `bytes[start, end)`, as JSON.parse of the whole line would have it there. */
export function parseValueAt(bytes: Buffer, start: number, end: number): unknown {
  // Plain ASCII strings (verbs, stages, timestamps, ids), small integers (codes) and lists of
  // plain strings (groups, source IPs) skip JSON.parse.
  const first = bytes[start];
  const simple =
    first === 0x22 ? plainStringAt(bytes, start + 1, end - 1)
    : first === 0x5b ? plainStringsAt(bytes, start, end)
    : smallIntegerAt(bytes, start, end);
  return simple === undefined ? JSON.parse(bytes.toString('utf8', start, end)) : simple;
}

/** An array of plain ASCII strings (the scanner proved it is valid JSON), or undefined for any other. */
function plainStringsAt(bytes: Buffer, start: number, end: number): string[] | undefined {
  const strings: string[] = [];
  let index = skipWhitespace(bytes, start + 1, end);
  if (bytes[index] === 0x5d) return strings;
  for (;;) {
    if (bytes[index] !== 0x22) return undefined;
    const from = index + 1;
    index = from;
    while (bytes[index] !== 0x22) {
      if (bytes[index] === 0x5c) return undefined;
      index += 1;
    }
    const text = plainStringAt(bytes, from, index);
    if (text === undefined) return undefined;
    strings.push(text);
    index = skipWhitespace(bytes, index + 1, end);
    if (bytes[index] === 0x5d) return strings;
    index = skipWhitespace(bytes, index + 1, end);
  }
}

/** Digits only (the scanner proved the value is a JSON number), few enough to be exact. */
function smallIntegerAt(bytes: Buffer, start: number, end: number): number | undefined {
  if (end - start > 9) return undefined;
  let value = 0;
  for (let index = start; index < end; index += 1) {
    const digit = bytes[index]! - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return end > start ? value : undefined;
}

/**
 * The index in `members` of the last member whose key is `key` (JSON.parse keeps the last
 * value), or -1.
 */
export function lastMemberNamed(bytes: Buffer, members: MemberTable, key: string): number {
  return lastMemberNamedBetween(bytes, members, 0, members.length, key);
}

/** The same among the members that `table[from, to)` describes (a group of a NestedMembers table, say). */
export function lastMemberNamedBetween(bytes: Buffer, table: MemberTable, from: number, to: number, key: string): number {
  for (let at = to - MEMBER_FIELDS; at >= from; at -= MEMBER_FIELDS) {
    if (keyBytesEqual(bytes, table[at]!, table[at + 1]!, key)) return at;
  }
  return -1;
}

/** The name a key's bytes (between its quotes) spell. */
export function decodeKey(bytes: Buffer, start: number, end: number): string {
  return plainStringAt(bytes, start, end) ?? (JSON.parse(bytes.toString('utf8', start - 1, end + 1)) as string);
}

/** Compares a key's raw bytes with a property name without decoding either, when both are plain. */
function keyBytesEqual(bytes: Buffer, start: number, end: number, key: string): boolean {
  const length = end - start;
  // A name never has more characters than its key has bytes (UTF-8 and escapes take one or more
  // per character), and a first byte that is plain ASCII is the first character.
  if (key.length === 0 || length < key.length) return length === key.length;
  const first = bytes[start]!;
  if (first < 0x80 && first !== 0x5c && first !== key.charCodeAt(0)) return false;
  let plain = true;
  if (length === key.length) {
    for (let offset = 0; offset < length; offset += 1) {
      const byte = bytes[start + offset]!;
      if (byte === 0x5c || byte >= 0x80) {
        plain = false;
        break;
      }
      if (byte !== key.charCodeAt(offset)) return false;
    }
    if (plain) return true;
  } else {
    // A key with escapes or non-ASCII bytes can differ in length from its decoded name.
    if (isPlainAt(bytes, start, end)) return false;
  }
  return decodeKey(bytes, start, end) === key;
}

const HANDLER: ProxyHandler<LazyFields> = {
  get(fields, property) {
    if (typeof property === 'string') {
      const value = fields.lookup(property);
      if (value !== ABSENT) return value;
    }
    // Whatever a parsed object inherits (hasOwnProperty, toString, …) and nothing else.
    return Reflect.get(Object.prototype, property);
  },
  has(fields, property) {
    return (typeof property === 'string' && fields.lookup(property) !== ABSENT) || property in Object.prototype;
  },
  set(fields, property, value) {
    if (typeof property !== 'string') return false;
    fields.set(property, value);
    return true;
  },
  deleteProperty(fields, property) {
    if (typeof property === 'string') fields.delete(property);
    return true;
  },
  ownKeys(fields) {
    return fields.keys();
  },
  getOwnPropertyDescriptor(fields, property) {
    if (typeof property !== 'string') return undefined;
    const value = fields.lookup(property);
    return value === ABSENT ? undefined : { value, writable: true, enumerable: true, configurable: true };
  },
  defineProperty(fields, property, descriptor) {
    if (typeof property !== 'string' || !('value' in descriptor)) return false;
    fields.set(property, descriptor.value);
    return true;
  },
  getPrototypeOf() {
    return Object.prototype;
  },
};
