import { MEMBER_FIELDS, type MemberTable } from '../../pipeline/json-scanner.js';
import { decodeKey } from '../../pipeline/lazy-event.js';
import { isPlainAt, spells } from '../../pipeline/plain-string-cache.js';

/**
 * The top-level members the compiled rules read (verb, objectRef, user, requestObject, …),
 * numbered, and found in a line's member table in one pass: each key of the line is looked up
 * once in a table of those names, instead of the table being searched once per name a rule
 * asks for (most of a line's keys are names some rule reads).
 *
 * A key is matched as JSON.parse would decode it: a plain ASCII key by its bytes, a key with an
 * escape or a non-ASCII byte decoded first. A repeated key resolves to its last occurrence, the
 * one whose value JSON.parse keeps.
 */
const names: string[] = [];
const idsByName = new Map<string, number>();
/** Open addressing on the plain ASCII names (see slotOf): slot → id + 1, 0 for empty. */
let slots = new Int32Array(64);

/** The number of `name` (registered on first use), for resolveTopLevelMembers. */
export function topLevelMemberId(name: string): number {
  let id = idsByName.get(name);
  if (id !== undefined) return id;
  id = names.length;
  names.push(name);
  idsByName.set(name, id);
  if (isPlacedInSlots(name)) {
    // Kept at most a quarter full, so that a key no rule reads ends its probe on an empty slot soon.
    if (names.length * 4 > slots.length) rehash(slots.length * 2);
    else place(id);
  }
  return id;
}

/**
 * Where each registered member lies in `members` (its index there, -1 when the line lacks it),
 * written into `into` by id.
 */
export function resolveTopLevelMembers(bytes: Uint8Array, members: MemberTable, into: number[]): void {
  const count = names.length;
  for (let id = 0; id < count; id += 1) into[id] = -1;
  const mask = slots.length - 1;
  for (let at = 0; at < members.length; at += MEMBER_FIELDS) {
    const start = members[at]!;
    const end = members[at + 1]!;
    let found = false;
    if (end > start) {
      for (let slot = slotOf(end - start, bytes[start]!, bytes[end - 1]!, mask); slots[slot] !== 0; slot = (slot + 1) & mask) {
        const id = slots[slot]! - 1;
        const name = names[id]!;
        if (name.length === end - start && spells(name, bytes, start)) {
          into[id] = at;
          found = true;
          break;
        }
      }
    }
    // Bytes that spell no name plainly may still decode to one; the empty name is only in the map.
    if (!found && (end === start || !isPlainAt(bytes, start, end))) {
      const id = idsByName.get(decodeKey(bytes as Buffer, start, end));
      if (id !== undefined) into[id] = at;
    }
  }
}

const BACKSLASH = 0x5c;
const NON_ASCII = 0x80;

function isPlacedInSlots(name: string): boolean {
  if (name.length === 0) return false;
  for (let index = 0; index < name.length; index += 1) {
    const code = name.charCodeAt(index);
    if (code === BACKSLASH || code >= NON_ASCII) return false;
  }
  return true;
}

/** A key's slot by its length and its first and last bytes: no pass over its bytes to find it. */
function slotOf(length: number, first: number, last: number, mask: number): number {
  return (Math.imul(length, 0x9e3779b1) ^ Math.imul(first, 0x85ebca6b) ^ Math.imul(last, 0xc2b2ae35)) >>> 7 & mask;
}

function place(id: number): void {
  const mask = slots.length - 1;
  const name = names[id]!;
  let slot = slotOf(name.length, name.charCodeAt(0), name.charCodeAt(name.length - 1), mask);
  while (slots[slot] !== 0) slot = (slot + 1) & mask;
  slots[slot] = id + 1;
}

function rehash(size: number): void {
  slots = new Int32Array(size);
  for (let id = 0; id < names.length; id += 1) if (isPlacedInSlots(names[id]!)) place(id);
}
