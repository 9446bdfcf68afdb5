import { INVALID, membersOfLastScan, scanJsonObject, type MemberTable } from '../../pipeline/json-scanner.js';
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
  // Small memos in plain arrays, emptied per line by a count or a generation (a Map per line, or
  // Map.clear, which allocates a new table, made more garbage than the reads they spared).
  private readonly memberKeys: string[] = [];
  private readonly memberIndexes: number[] = [];
  private memberCount = 0;
  private readonly scanStarts: number[] = [];
  private readonly scanTables: (MemberTable | undefined)[] = [];
  private scanCount = 0;
  private generation = 0;
  private readonly readGenerations: number[] = [];
  private readonly readValues: (unknown[] | undefined)[] = [];

  /** Points at another line. */
  reset(line: ScannedLine): void {
    this.bytes = line.bytes;
    this.members = line.members;
    this.memberCount = 0;
    this.scanCount = 0;
    this.generation += 1;
  }

  /** What `reader` gives on this line, read once. */
  valuesOf(reader: ByteFieldReader): unknown[] | undefined {
    const id = reader.id;
    if (this.readGenerations[id] === this.generation) return this.readValues[id];
    const values = this.readPath(reader.segments);
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
  private readPath(segments: readonly PathSegment[]): unknown[] | undefined {
    const at = this.topLevel((segments[0] as { name: string }).name);
    return at < 0 ? [] : this.readBelow(this.members[at + 2]!, this.members[at + 3]!, segments, 1);
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
  private readBelow(start: number, end: number, segments: readonly PathSegment[], depth: number): unknown[] | undefined {
    const segment = segments[depth];
    if (segment?.kind !== 'key' || this.bytes[start] !== OPEN_BRACE) return valuesBelow(parseValueAt(this.bytes, start, end), segments.slice(depth));
    const members = this.membersOf(start, end);
    if (members === undefined) return undefined;
    const at = lastMemberNamed(this.bytes, members, segment.name);
    return at < 0 ? [] : this.readBelow(members[at + 2]!, members[at + 3]!, segments, depth + 1);
  }

  /** Where the members of the object at `bytes[start, end)` lie (it was validated with the line). */
  private membersOf(start: number, end: number): MemberTable | undefined {
    for (let index = 0; index < this.scanCount; index += 1) if (this.scanStarts[index] === start) return this.scanTables[index];
    const count = scanJsonObject(this.bytes, start, end);
    const members = count === INVALID ? undefined : membersOfLastScan(count);
    this.scanStarts[this.scanCount] = start;
    this.scanTables[this.scanCount] = members;
    this.scanCount += 1;
    return members;
  }
}

const OPEN_BRACE = 0x7b;

/**
 * A field to read from the line's bytes: the values the compiled field reader would give on the
 * parsed event, or undefined when the bytes cannot tell. Numbered, for LineFields' memo.
 */
export interface ByteFieldReader {
  readonly id: number;
  readonly segments: readonly PathSegment[];
}

let readers = 0;

/** Undefined for fields that do not read the event as it is (`podSpec…`, `execCommand`). */
export function compileByteFieldReader(field: string): ByteFieldReader | undefined {
  const segments = plainFieldPath(field);
  return segments === undefined ? undefined : { id: readers++, segments };
}
