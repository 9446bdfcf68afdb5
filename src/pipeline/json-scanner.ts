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
  hasUnlocatedKeys(): boolean;
  scan(
    base: number, start: number, end: number,
    members: number, membersCap: number, nested: number, nestedCap: number, stack: number, stackCap: number,
    noteNested: boolean, keys: number, keyCount: number, keySlots: number, keySlotMask: number, located: number,
  ): number;
}

const PAGE_BYTES = 65_536;
/** Starting capacities: an audit event has about twenty top-level members and a few hundred nested numbers. */
const INITIAL_MEMBERS = 1024;
const INITIAL_NESTED = 16_384;
const INITIAL_DEPTH = 4096;
/** Memory kept from line to line; past it (a huge line), the next line gets a fresh instance. */
const LARGEST_KEPT_MEMORY = 64 * 1024 * 1024;

/**
 * One instance of the scan module and where in its memory the keys to locate, the tables, the
 * nesting stack and the copied line lie (in that order; the line last, so that it can grow alone).
 */
class ScanMemory {
  private exports!: ScanExports;
  private bytes!: Uint8Array;
  /** The memory as 32-bit numbers, for reading the tables back. */
  words!: Int32Array;
  /** The keys locateKeys set, by id. */
  keys: readonly KeyToLocate[] = [];
  private keysAt = 0;
  private keySlotsAt = 0;
  private keySlotMask = 0;
  locatedAt = 0;
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
    if (this.bytes.length > LARGEST_KEPT_MEMORY) this.instantiate();
    for (;;) {
      this.makeRoom(end - start);
      this.bytes.set(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), this.inputAt);
      const result = this.exports.scan(
        this.inputAt - start, start, end,
        this.membersAt, this.membersCap, this.nestedAt, this.nestedCap, this.stackAt, this.stackCap,
        noteNested, this.keysAt, this.keys.length, this.keySlotsAt, this.keySlotMask, this.locatedAt,
      );
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

  hasUnlocatedKeys(): boolean {
    return this.exports.hasUnlocatedKeys();
  }

  locate(keys: readonly KeyToLocate[]): void {
    this.keys = [...keys];
    this.layOut();
  }

  private instantiate(): void {
    this.exports = new WebAssembly.Instance(scanModule, { env: { abort: abortScan } }).exports as unknown as ScanExports;
    this.viewMemory();
    this.membersCap = INITIAL_MEMBERS;
    this.nestedCap = INITIAL_NESTED;
    this.stackCap = INITIAL_DEPTH;
    this.layOut();
  }

  private layOut(): void {
    this.layOutKeys(alignTo16(this.exports.heapBase()));
    this.membersAt = alignTo16(this.locatedAt + this.keys.length * 4);
    this.nestedAt = this.membersAt + this.membersCap * MEMBER_FIELDS * 4;
    this.stackAt = this.nestedAt + this.nestedCap * 4;
    this.inputAt = alignTo16(this.stackAt + this.stackCap);
    this.makeRoom(0);
  }

  /**
   * Writes the keys to locate from `at`: per id the address and length of its name's bytes (-1
   * for a name no key's plain bytes spell: one with a backslash or a non-ASCII character, found
   * only by decoding) and its parent, the names' bytes, the slots the scan probes (id + 1, placed
   * by keySlotOf), and the table the scan notes their members in.
   */
  private layOutKeys(at: number): void {
    const keys = this.keys;
    const encoded = keys.map(({ name }) => Buffer.from(name, 'latin1'));
    const bytesAt = at + keys.length * KEY_WORDS * 4;
    let slotsAt = bytesAt;
    for (const name of encoded) slotsAt += name.length;
    slotsAt = alignTo16(slotsAt);
    // Kept at most a quarter full, so that a key no one asked for ends its probe on an empty slot soon.
    let slotCount = 16;
    while (slotCount < keys.length * 4) slotCount *= 2;
    this.keysAt = at;
    this.keySlotsAt = slotsAt;
    this.keySlotMask = slotCount - 1;
    this.locatedAt = slotsAt + slotCount * 4;
    this.reach(this.locatedAt + keys.length * 4);
    const words = this.words;
    words.fill(0, slotsAt >> 2, (slotsAt >> 2) + slotCount);
    let nameAt = bytesAt;
    keys.forEach(({ parent, name }, id) => {
      const plain = name.length > 0 && isPlainName(name);
      const meta = (at >> 2) + id * KEY_WORDS;
      words[meta] = nameAt;
      words[meta + 1] = plain ? name.length : -1;
      words[meta + 2] = parent;
      this.bytes.set(encoded[id]!, nameAt);
      nameAt += encoded[id]!.length;
      if (!plain) return;
      let slot = keySlotOf(parent, name.length, name.charCodeAt(0), name.charCodeAt(name.length - 1), this.keySlotMask);
      while (words[(slotsAt >> 2) + slot] !== 0) slot = (slot + 1) & this.keySlotMask;
      words[(slotsAt >> 2) + slot] = id + 1;
    });
  }

  private makeRoom(inputBytes: number): void {
    this.reach(this.inputAt + inputBytes);
  }

  /** Grows the memory to hold `needed` bytes. */
  private reach(needed: number): void {
    // Only this grows the memory (the module never does): the views' length is its size.
    if (needed <= this.bytes.length) return;
    const memory = this.exports.memory;
    memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES));
    this.viewMemory();
  }

  /** Views of the whole memory; growing detaches the old ones. */
  private viewMemory(): void {
    const buffer = this.exports.memory.buffer;
    this.bytes = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
  }
}

/** The numbers per key in the module's table of keys to locate. */
const KEY_WORDS = 4;

/** The slot a key's probe starts at, by its parent, its length and its first and last byte (as json-object-scan.as.ts's). */
function keySlotOf(parent: number, length: number, first: number, last: number, mask: number): number {
  return ((Math.imul(length, 0x9e3779b1) ^ Math.imul(first, 0x85ebca6b) ^ Math.imul(last, 0xc2b2ae35) ^ Math.imul(parent + 1, 0x27d4eb2f)) >>> 7) & mask;
}

/** A name whose characters are bytes of a plain key: printable ASCII but the backslash. */
function isPlainName(name: string): boolean {
  for (let index = 0; index < name.length; index += 1) {
    const code = name.charCodeAt(index);
    if (code === BACKSLASH || code >= 0x80) return false;
  }
  return true;
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
/** Whether the last scan located the keys (see copyLocatedKeysOfLastScan). */
let lastLocatedKeys = false;

/**
 * A key for the scan to locate: at the top level (`parent` -1), or in the object value of the
 * top-level key with id `parent` (`user` → `username`). A key's id is its index in the list
 * given to locateKeys.
 */
export interface KeyToLocate {
  readonly parent: number;
  readonly name: string;
}

/**
 * By id, where a line's member with each key set by locateKeys lies, or -1: for a top-level key
 * its index in the member table, for a key under one its index in the nested table (the last
 * of repeated keys, whose value JSON.parse keeps).
 */
export type LocatedKeys = readonly number[];

/**
 * The keys that scans noting nested members also locate, in the same pass: what processors read
 * (verb, user, user.username, requestObject, …), found without comparing each key of each line
 * in JavaScript.
 */
export function locateKeys(keys: readonly KeyToLocate[]): void {
  scanMemory.locate(keys);
}

/**
 * The last scan's LocatedKeys, copied into `into`; undefined when it did not note nested members
 * or met a key it cannot match by its bytes (an escape, a non-ASCII byte, the empty key; a key to
 * locate repeated at the top level): the caller then finds the members by their decoded names.
 */
export function copyLocatedKeysOfLastScan(into: number[]): LocatedKeys | undefined {
  if (!lastLocatedKeys || scanMemory.hasUnlocatedKeys()) return undefined;
  return copyOut(scanMemory.locatedAt, scanMemory.keys.length, into);
}

/**
 * Scans `bytes[start, end)`: one JSON object, optionally surrounded by whitespace. Returns how
 * many top-level members it has, or INVALID; `membersOfLastScan` then copies out where they lie,
 * and, when `noteNested` was set, `nestedOfLastScan` the members of their object values and
 * `copyLocatedKeysOfLastScan` where the keys set by locateKeys are.
 */
export function scanJsonObject(bytes: Uint8Array, start = 0, end = bytes.length, noteNested = false): number {
  const count = scanMemory.scan(bytes, start, end, noteNested);
  lastLocatedKeys = count !== INVALID && noteNested;
  lastNestedLength = lastLocatedKeys ? scanMemory.nestedLength() : 0;
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
