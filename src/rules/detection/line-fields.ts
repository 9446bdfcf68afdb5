import { skipWhitespace, stringEnd, type MemberTable, type NestedMembers } from '../../pipeline/json-scanner.js';
import { ObjectMembers } from '../../pipeline/object-members.js';
import { lastMemberNamedBetween, parseValueAt } from '../../pipeline/lazy-event.js';
import type { ScannedLine } from '../../pipeline/audit-record.js';
import { plainFieldPath, valuesBelow } from '../language/event-field.js';
import type { PathSegment } from '../language/field-path.js';
import { HintScanner } from '../hint-scanner.js';
import { childMemberId, childrenLocated, topLevelMemberId, topLevelMembersOf } from '../top-level-members.js';

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
  /** By top-level member id (see top-level-members.ts): where the member lies in `members`, or -1. */
  private memberIndexes: readonly number[] = [];
  /** What memberIndexes points at for a line whose keys the scan did not locate. */
  private readonly ownMemberIndexes: number[] = [];
  /** Whether memberIndexes holds where the registered children (user → username) lie, in `nested`. */
  private childrenAreLocated = false;
  /** The small objects read on this line: where each starts, whether it is one, and where its members lie. */
  private readonly scanStarts: number[] = [];
  private readonly scanIsObject: boolean[] = [];
  private readonly scanned: ObjectMembers[] = [];
  private scanCount = 0;
  private generation = 0;
  private readonly readGenerations: number[] = [];
  private readonly readValues: (unknown[] | undefined)[] = [];
  /** Per reader, the one-element list its single values are given in (read once per line, not kept). */
  private readonly singles: unknown[][] = [];
  /** By top-level member id: on which line its needles were last looked for, and which were found. */
  private readonly needleGenerations: number[] = [];
  private readonly needlesFound: boolean[][] = [];

  /** Points at another line. */
  reset(line: ScannedLine): void {
    this.bytes = line.bytes;
    this.members = line.members;
    this.nested = line.nested;
    this.memberIndexes = topLevelMembersOf(line, this.ownMemberIndexes);
    this.childrenAreLocated = childrenLocated(line, this.memberIndexes);
    this.scanCount = 0;
    this.generation += 1;
  }

  /** What `reader` gives on this line, read once. */
  valuesOf(reader: ByteFieldReader): unknown[] | undefined {
    const id = reader.id;
    if (this.readGenerations[id] === this.generation) return this.readValues[id];
    const values = this.readPath(reader, (this.singles[id] ??= []));
    this.readGenerations[id] = this.generation;
    this.readValues[id] = values;
    return values;
  }

  /**
   * Whether the line has the top-level member `needle.member` and its value's bytes hold
   * `needle.bytes`. The first ask on a line finds all the needles of that member in one pass
   * (see HintScanner): a request body is asked for a dozen (the pod-spec rules' keys, the
   * escapes, the keys and values of the RBAC and ConfigMap rules), each a pass of its own before.
   */
  holds(needle: MemberNeedle): boolean {
    const member = needle.member;
    const at = this.memberIndexes[member]!;
    if (at < 0) return false;
    if (needle.slot < 0) return this.bytes.subarray(this.members[at + 2], this.members[at + 3]).includes(needle.bytes);
    const found = (this.needlesFound[member] ??= []);
    if (this.needleGenerations[member] !== this.generation) {
      scannerOf(member).markFound(this.bytes, this.members[at + 2]!, this.members[at + 3]!, found);
      this.needleGenerations[member] = this.generation;
    }
    return found[needle.slot]!;
  }

  /** Whether the line has the top-level member numbered `member` (see topLevelMemberId). */
  has(member: number): boolean {
    return this.memberIndexes[member]! >= 0;
  }

  /** The values of a plain field path (see plainFieldPath); undefined if the bytes cannot tell. */
  private readPath(reader: ByteFieldReader, single: unknown[]): unknown[] | undefined {
    const at = this.memberIndexes[reader.member]!;
    if (at < 0) return NOTHING;
    if (reader.child >= 0 && this.childrenAreLocated) {
      // The scan located the second key too: its value is read without walking the object.
      const child = this.memberIndexes[reader.child]!;
      if (child >= 0) return this.readBelow(this.nested![child + 2]!, this.nested![child + 3]!, reader.segments, 2, single);
      // An object without that key (its keys were all looked up); other values take the walk.
      if (this.bytes[this.members[at + 2]!] === OPEN_BRACE) return NOTHING;
    }
    return this.readBelow(this.members[at + 2]!, this.members[at + 3]!, reader.segments, 1, single);
  }

  /** Key steps into objects follow member tables; the value where they stop is parsed and read on. */
  private readBelow(start: number, end: number, segments: readonly PathSegment[], depth: number, single: unknown[]): unknown[] | undefined {
    const segment = segments[depth];
    if (segment?.kind === 'index' && depth === segments.length - 1 && this.bytes[start] === OPEN_BRACKET) {
      // `sourceIPs[0]`: the one string element read from its bytes, the rest of the list not parsed.
      const element = stringElementAt(this.bytes, start, end, segment.index);
      if (element !== undefined) {
        // The scanner proved the line valid JSON: the string ends within the list.
        single[0] = parseValueAt(this.bytes, element, stringEnd(this.bytes, element + 1));
        return single;
      }
    }
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
    const slot = this.objectAt(start, end);
    if (slot < 0) return undefined;
    const { table, from, to } = this.scanned[slot]!;
    const at = lastMemberNamedBetween(this.bytes, table, from, to, segment.name);
    return at < 0 ? NOTHING : this.readBelow(table[at + 2]!, table[at + 3]!, segments, depth + 1, single);
  }

  /** The slot that says where the members of the object at `bytes[start, end)` lie (it was validated with the line), or -1 if it is not an object. */
  private objectAt(start: number, end: number): number {
    for (let slot = 0; slot < this.scanCount; slot += 1) {
      if (this.scanStarts[slot] === start) return this.scanIsObject[slot] ? slot : -1;
    }
    const slot = this.scanCount;
    this.scanCount += 1;
    this.scanStarts[slot] = start;
    const isObject = (this.scanned[slot] ??= new ObjectMembers()).locate(this.bytes, this.nested, start, end);
    this.scanIsObject[slot] = isObject;
    return isObject ? slot : -1;
  }
}

/** What valuesBelow gives for `array[index]`: nothing, the element's own elements, or the element. */
function elementValues(array: readonly unknown[], index: number, single: unknown[]): unknown[] {
  const element = array[index];
  if (element === undefined || element === null) return NOTHING;
  if (Array.isArray(element)) return element;
  single[0] = element;
  return single;
}

/**
 * Where the `index`th element of the array at `bytes[start, end)` starts when it and every
 * element before it are strings (audit lists of IPs and groups are), else undefined, for the
 * general path: a number, an object or an array before it would need a full skip.
 */
function stringElementAt(bytes: Buffer, start: number, end: number, index: number): number | undefined {
  let at = skipWhitespace(bytes, start + 1, end);
  for (let element = 0; ; element += 1) {
    if (bytes[at] !== QUOTE) return undefined;
    if (element === index) return at;
    at = skipWhitespace(bytes, stringEnd(bytes, at + 1), end);
    if (bytes[at] !== COMMA) return undefined;
    at = skipWhitespace(bytes, at + 1, end);
  }
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const QUOTE = 0x22;
const COMMA = 0x2c;
const NO_SEGMENTS: readonly PathSegment[] = [];
const NOTHING = Object.freeze([]) as readonly unknown[] as unknown[];

/**
 * A field to read from the line's bytes: the values the compiled field reader would give on the
 * parsed event, or undefined when the bytes cannot tell. Numbered, for LineFields' memo.
 */
export interface ByteFieldReader {
  readonly id: number;
  /** The id of the top-level member the path starts at (see topLevelMemberId). */
  readonly member: number;
  /** When the path's second step is a key, the id of that member of the first (see childMemberId), else -1. */
  readonly child: number;
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
    const member = (segments[0] as { name: string }).name;
    const second = segments[1];
    reader = { id: readersByPath.size, member: topLevelMemberId(member), child: second?.kind === 'key' ? childMemberId(member, second.name) : -1, segments };
    readersByPath.set(path, reader);
  }
  return reader;
}

/** Bytes to look for in a top-level member's value (see LineFields.holds). */
export interface MemberNeedle {
  /** The id of the top-level member to search (see topLevelMemberId). */
  readonly member: number;
  readonly bytes: Buffer;
  /** Its index among the needles its member's scanner finds, or -1 for a single byte, searched alone. */
  readonly slot: number;
}

/** One needle per member and bytes: what several rules look for is looked for once per line. */
const needlesByText = new Map<string, MemberNeedle>();
/** By top-level member id: the bytes of its needles, by slot, and the scanner for them (built on first use). */
const needleBytesByMember: Buffer[][] = [];
const scannersByMember: (HintScanner | undefined)[] = [];

export function memberNeedle(member: string, bytes: Buffer): MemberNeedle {
  const text = `${member}\n${bytes.toString('latin1')}`;
  let needle = needlesByText.get(text);
  if (needle === undefined) {
    const id = topLevelMemberId(member);
    const scanned = (needleBytesByMember[id] ??= []);
    needle = { member: id, bytes, slot: bytes.length < 2 ? -1 : scanned.length };
    if (needle.slot >= 0) {
      scanned.push(bytes);
      scannersByMember[id] = undefined;
    }
    needlesByText.set(text, needle);
  }
  return needle;
}

function scannerOf(member: number): HintScanner {
  return (scannersByMember[member] ??= new HintScanner(needleBytesByMember[member]!));
}
