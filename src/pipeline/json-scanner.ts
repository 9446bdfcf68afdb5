import { readFileSync } from 'node:fs';

/**
 * Checks that a line is exactly one JSON object, on its bytes and without building it, and notes
 * where each top-level member's key and value lie. This replaces JSON.parse on the hot path:
 * every line must still be proven valid JSON (an invalid line is dead-lettered, never shipped as
 * an event), but most events are shipped as the bytes that were read and never need an object.
 *
 * The scan itself runs in WebAssembly (json-object-scan.as.ts, built with the package): the line
 * is copied into the module's memory, scanned there with string bodies checked sixteen bytes at
 * a time, and the member tables are read back into plain arrays. Here: the module's memory and
 * the tables' API.
 *
 * The grammar is RFC 8259's, as strict as JSON.parse on the UTF-8 decoding of the same bytes:
 * no trailing commas, no leading zeros, no raw control characters in strings, only the standard
 * escapes, whitespace limited to space, tab, CR and LF. Bytes of 0x80 and above are accepted as
 * they are (JSON.parse sees invalid UTF-8 as U+FFFD, which is valid in a string), so the two
 * agree on which lines are valid. A test holds them to that on mutated corpus lines.
 */

/** Four numbers per top-level member: key start, key end (between the quotes), value start, value end. */
export const MEMBER_FIELDS = 4;

/** Where the top-level members of a scanned object lie, MEMBER_FIELDS numbers per member. */
export type MemberTable = readonly number[];

/** What scanJsonObject returns for bytes that are not one JSON object. */
export const INVALID = -1;

/**
 * Where the members of the top-level members' object values lie (`objectRef.resource`,
 * `user.username`: what rules read), noted in the same pass, so that reading them needs no
 * second scan of those objects. One group per non-empty object value, in line order: the
 * value's start offset, its member count, then MEMBER_FIELDS numbers per member as in a
 * MemberTable.
 */
export type NestedMembers = readonly number[];

/** The header of a NestedMembers group: the object's start, its member count. */
export const NESTED_GROUP_HEADER = 2;

/** What the WebAssembly scan returns when a table or the nesting stack is full (see json-object-scan.as.ts). */
const NO_ROOM = -2;

/** Compiled once: the module is small, and each instance is its own memory. */
const scanModule = new WebAssembly.Module(readFileSync(new URL('./json-object-scan.wasm', import.meta.url)));

interface ScanExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  nestedLength(): number;
  scan(base: number, start: number, end: number, members: number, membersCap: number, nested: number, nestedCap: number, stack: number, stackCap: number, noteNested: boolean): number;
}

const PAGE_BYTES = 65_536;
/** Starting capacities: an audit event has about twenty top-level members and a few hundred nested numbers. */
const INITIAL_MEMBERS = 1024;
const INITIAL_NESTED = 16_384;
const INITIAL_DEPTH = 4096;
/** Memory kept from line to line; past it (a huge line), the next line gets a fresh instance. */
const LARGEST_KEPT_MEMORY = 64 * 1024 * 1024;

/**
 * One instance of the scan module and where in its memory the tables, the nesting stack and
 * the copied line lie (in that order; the line last, so that it can grow alone).
 */
class ScanMemory {
  private exports!: ScanExports;
  private bytes!: Uint8Array;
  /** The memory as 32-bit numbers, for reading the tables back. */
  words!: Int32Array;
  membersAt = 0;
  membersCap = INITIAL_MEMBERS;
  nestedAt = 0;
  nestedCap = INITIAL_NESTED;
  stackAt = 0;
  stackCap = INITIAL_DEPTH;
  inputAt = 0;

  constructor() {
    this.instantiate();
  }

  /** Copies `bytes[start, end)` in and scans it; offsets in the tables index `bytes`. */
  scan(bytes: Uint8Array, start: number, end: number, noteNested: boolean): number {
    // A WebAssembly memory only grows: one that a huge line grew is let go at the next line.
    if (this.exports.memory.buffer.byteLength > LARGEST_KEPT_MEMORY) this.instantiate();
    for (;;) {
      this.makeRoom(end - start);
      this.bytes.set(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), this.inputAt);
      const result = this.exports.scan(this.inputAt - start, start, end, this.membersAt, this.membersCap, this.nestedAt, this.nestedCap, this.stackAt, this.stackCap, noteNested);
      if (result !== NO_ROOM) return result;
      this.membersCap *= 2;
      this.nestedCap *= 2;
      this.stackCap *= 2;
      this.layOut();
    }
  }

  nestedLength(): number {
    return this.exports.nestedLength();
  }

  private instantiate(): void {
    this.exports = new WebAssembly.Instance(scanModule, { env: { abort: abortScan } }).exports as unknown as ScanExports;
    this.membersCap = INITIAL_MEMBERS;
    this.nestedCap = INITIAL_NESTED;
    this.stackCap = INITIAL_DEPTH;
    this.layOut();
  }

  private layOut(): void {
    this.membersAt = alignTo16(this.exports.heapBase());
    this.nestedAt = this.membersAt + this.membersCap * MEMBER_FIELDS * 4;
    this.stackAt = this.nestedAt + this.nestedCap * 4;
    this.inputAt = alignTo16(this.stackAt + this.stackCap);
    this.makeRoom(0);
  }

  private makeRoom(inputBytes: number): void {
    const memory = this.exports.memory;
    const needed = this.inputAt + inputBytes;
    if (needed > memory.buffer.byteLength) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES));
    // Growing detaches the old views.
    if (this.bytes?.buffer !== memory.buffer) {
      this.bytes = new Uint8Array(memory.buffer);
      this.words = new Int32Array(memory.buffer);
    }
  }
}

function alignTo16(address: number): number {
  return (address + 15) & ~15;
}

function abortScan(): never {
  throw new Error('the JSON scan module aborted');
}

const scanMemory = new ScanMemory();
/** How many numbers of the nested table the last scan wrote (0 when it noted none). */
let lastNestedLength = 0;

/**
 * Scans `bytes[start, end)`: one JSON object, optionally surrounded by whitespace. Returns how
 * many top-level members it has, or INVALID; `membersOfLastScan` then copies out where they lie,
 * and, when `noteNested` was set, `nestedOfLastScan` the members of their object values.
 */
export function scanJsonObject(bytes: Uint8Array, start = 0, end = bytes.length, noteNested = false): number {
  const count = scanMemory.scan(bytes, start, end, noteNested);
  lastNestedLength = count === INVALID || !noteNested ? 0 : scanMemory.nestedLength();
  return count;
}

/** The member table of the last successful scan, which had `memberCount` members: a copy, safe to keep. */
export function membersOfLastScan(memberCount: number): MemberTable {
  return copyOut(scanMemory.membersAt, memberCount * MEMBER_FIELDS, []);
}

/** The nested member table of the last successful scan that noted it: a copy, safe to keep. */
export function nestedOfLastScan(): NestedMembers {
  return copyOut(scanMemory.nestedAt, lastNestedLength, []);
}

/**
 * Where in `nested` the group of the object value that starts at byte `objectStart` begins (its
 * header; its members follow), or -1 when the scan noted no group for it (an empty object, or
 * not a top-level member's object value).
 */
export function nestedGroupAt(nested: NestedMembers, objectStart: number): number {
  for (let at = 0; at < nested.length; at += NESTED_GROUP_HEADER + nested[at + 1]! * MEMBER_FIELDS) {
    if (nested[at] === objectStart) return at;
  }
  return -1;
}

/** The same, copied into `into` (reused by a caller that reads many small objects and keeps none). */
export function copyMembersOfLastScan(memberCount: number, into: number[]): MemberTable {
  return copyOut(scanMemory.membersAt, memberCount * MEMBER_FIELDS, into);
}

/** nestedOfLastScan's table, copied into `into` (reused, like copyMembersOfLastScan's). */
export function copyNestedOfLastScan(into: number[]): NestedMembers {
  return copyOut(scanMemory.nestedAt, lastNestedLength, into);
}

/** Plain arrays of small integers: what every reader of member tables is compiled for. */
function copyOut(address: number, length: number, into: number[]): number[] {
  const words = scanMemory.words;
  const from = address >> 2;
  for (let index = 0; index < length; index += 1) into[index] = words[from + index]!;
  into.length = length;
  return into;
}

/** The index of the first byte at or after `index` that is not JSON whitespace. */
export function skipWhitespace(bytes: Uint8Array, index: number, end: number): number {
  while (index < end) {
    const byte = bytes[index];
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) break;
    index += 1;
  }
  return index;
}

/**
 * In a line the scanner found valid, from just after a string's opening quote: the index after
 * its closing quote (no checks: the scan made them).
 */
export function stringEnd(bytes: Uint8Array, index: number): number {
  for (;;) {
    const byte = bytes[index];
    if (byte === QUOTE) return index + 1;
    index += byte === BACKSLASH ? 2 : 1;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
