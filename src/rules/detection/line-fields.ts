import { copyMembersOfLastScan, INVALID, MEMBER_FIELDS, NESTED_GROUP_HEADER, scanJsonObject, type MemberTable, type NestedMembers } from '../../pipeline/json-scanner.js';
import { lastMemberNamed, parseValueAt } from '../../pipeline/lazy-event.js';
import type { ScannedLine } from '../../pipeline/audit-record.js';
import { plainFieldPath, valuesBelow } from '../language/event-field.js';
import type { PathSegment } from '../language/field-path.js';

/**
 * One line's fields as the matcher reads them from its bytes, for one event at a time (the
 * matcher keeps one and points it at each line): each top-level member found once, each small
 * object scanned once (objectRef for its resource and its subresource, user for its name and
 * its groups), each field read once (several rules read `user.username`).
 */
export class LineFields {
  private bytes: Buffer = Buffer.alloc(0);
  private members: MemberTable = [];
  private nested: NestedMembers | undefined;
  // Small memos in plain arrays, emptied per line by a count or a generation (a Map per line, or
  // Map.clear, which allocates a new table, made more garbage than the reads they spared).
  private readonly memberKeys: string[] = [];
  private readonly memberIndexes: number[] = [];
  private memberCount = 0;
  private readonly scanStarts: number[] = [];
  /** Reused from line to line, so reading a line allocates only the values it reads. */
  private readonly scanTables: number[][] = [];
  private readonly scanValid: boolean[] = [];
  private scanCount = 0;
  private generation = 0;
  private readonly readGenerations: number[] = [];
  private readonly readValues: (unknown[] | undefined)[] = [];
  /** Per reader, the one-element list its single values are given in (read once per line, not kept). */
  private readonly singles: unknown[][] = [];

  /** Points at another line. */
  reset(line: ScannedLine): void {
    this.bytes = line.bytes;
    this.members = line.members;
    this.nested = line.nested;
    this.memberCount = 0;
    this.scanCount = 0;
    this.generation += 1;
  }

  /** What `reader` gives on this line, read once. */
  valuesOf(reader: ByteFieldReader): unknown[] | undefined {
    const id = reader.id;
    if (this.readGenerations[id] === this.generation) return this.readValues[id];
    const values = this.readPath(reader.segments, (this.singles[id] ??= []));
    this.readGenerations[id] = this.generation;
    this.readValues[id] = values;
    return values;
  }

  /** The bytes of the top-level member `key`'s value, or null when the line has none. */
  memberBytes(key: string): Buffer | null {
    const at = this.topLevel(key);
    return at < 0 ? null : this.bytes.subarray(this.members[at + 2], this.members[at + 3]);
  }

  /** Whether the line has a top-level member `key`. */
  has(key: string): boolean {
    return this.topLevel(key) >= 0;
  }

  /** The values of a plain field path (see plainFieldPath); undefined if the bytes cannot tell. */
  private readPath(segments: readonly PathSegment[], single: unknown[]): unknown[] | undefined {
    const at = this.topLevel((segments[0] as { name: string }).name);
    return at < 0 ? NOTHING : this.readBelow(this.members[at + 2]!, this.members[at + 3]!, segments, 1, single);
  }

  private topLevel(key: string): number {
    for (let index = 0; index < this.memberCount; index += 1) if (this.memberKeys[index] === key) return this.memberIndexes[index]!;
    const at = lastMemberNamed(this.bytes, this.members, key);
    this.memberKeys[this.memberCount] = key;
    this.memberIndexes[this.memberCount] = at;
    this.memberCount += 1;
    return at;
  }

  /** Key steps into objects follow member tables; the value where they stop is parsed and read on. */
  private readBelow(start: number, end: number, segments: readonly PathSegment[], depth: number, single: unknown[]): unknown[] | undefined {
    const segment = segments[depth];
    if (segment?.kind !== 'key' || this.bytes[start] !== OPEN_BRACE) {
      const value = parseValueAt(this.bytes, start, end);
      if (segment === undefined) {
        if (value === null || typeof value === 'object') return valuesBelow(value, NO_SEGMENTS);
        single[0] = value;
        return single;
      }
      // `sourceIPs[0]`: one element, without the general path walk's lists.
      if (segment.kind === 'index' && depth === segments.length - 1 && Array.isArray(value)) return elementValues(value, segment.index, single);
      return valuesBelow(value, segments.slice(depth));
    }
    const members = this.membersOf(start, end);
    if (members === undefined) return undefined;
    const at = lastMemberNamed(this.bytes, members, segment.name);
    return at < 0 ? NOTHING : this.readBelow(members[at + 2]!, members[at + 3]!, segments, depth + 1, single);
  }

  /** Where the members of the object at `bytes[start, end)` lie (it was validated with the line). */
  private membersOf(start: number, end: number): MemberTable | undefined {
    for (let index = 0; index < this.scanCount; index += 1) {
      if (this.scanStarts[index] === start) return this.scanValid[index] ? this.scanTables[index] : undefined;
    }
    const slot = this.scanCount;
    this.scanCount += 1;
    if (this.nested !== undefined) {
      const noted = copyNestedGroup(this.nested, start, (this.scanTables[slot] ??= []));
      if (noted !== undefined) {
        this.scanStarts[slot] = start;
        this.scanValid[slot] = true;
        return noted;
      }
    }
    const count = scanJsonObject(this.bytes, start, end);
    this.scanStarts[slot] = start;
    this.scanValid[slot] = count !== INVALID;
    if (count === INVALID) return undefined;
    return copyMembersOfLastScan(count, (this.scanTables[slot] ??= []));
  }
}

/** The members the line's scan noted for the object that starts at `start`, copied into `into`; undefined if it noted none. */
function copyNestedGroup(nested: NestedMembers, start: number, into: number[]): MemberTable | undefined {
  for (let at = 0; at < nested.length; at += NESTED_GROUP_HEADER + nested[at + 1]! * MEMBER_FIELDS) {
    if (nested[at] !== start) continue;
    const length = nested[at + 1]! * MEMBER_FIELDS;
    const from = at + NESTED_GROUP_HEADER;
    for (let index = 0; index < length; index += 1) into[index] = nested[from + index]!;
    into.length = length;
    return into;
  }
  return undefined;
}

/** What valuesBelow gives for `array[index]`: nothing, the element's own elements, or the element. */
function elementValues(array: readonly unknown[], index: number, single: unknown[]): unknown[] {
  const element = array[index];
  if (element === undefined || element === null) return NOTHING;
  if (Array.isArray(element)) return element;
  single[0] = element;
  return single;
}

const OPEN_BRACE = 0x7b;
const NO_SEGMENTS: readonly PathSegment[] = [];
const NOTHING = Object.freeze([]) as readonly unknown[] as unknown[];

/**
 * A field to read from the line's bytes: the values the compiled field reader would give on the
 * parsed event, or undefined when the bytes cannot tell. Numbered, for LineFields' memo.
 */
export interface ByteFieldReader {
  readonly id: number;
  readonly segments: readonly PathSegment[];
}

/** One reader per path, whatever alias names it: a field several rules read is read once per line. */
const readersByPath = new Map<string, ByteFieldReader>();

/** Undefined for fields that do not read the event as it is (`podSpec…`, `execCommand`). */
export function compileByteFieldReader(field: string): ByteFieldReader | undefined {
  const segments = plainFieldPath(field);
  if (segments === undefined) return undefined;
  const path = JSON.stringify(segments);
  let reader = readersByPath.get(path);
  if (reader === undefined) {
    reader = { id: readersByPath.size, segments };
    readersByPath.set(path, reader);
  }
  return reader;
}
