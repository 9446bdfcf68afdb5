import { locateKeys, MEMBER_FIELDS, type KeyToLocate } from '../pipeline/json-scanner.js';
import type { ScannedLine } from '../pipeline/audit-record.js';
import { decodeKey } from '../pipeline/lazy-event.js';

/**
 * The members the rules and the redaction read, numbered: top-level ones (verb, objectRef,
 * user, requestObject, …) and members of their object values (user → username, objectRef →
 * resource). The line scanner locates them as it scans (see locateKeys): each key of a line is
 * looked up once, in WebAssembly, instead of member tables being searched once per name a rule
 * asks for.
 *
 * A key is matched as JSON.parse would decode it: the scan matches plain ASCII keys by their
 * bytes and leaves a line with an escaped, non-ASCII or empty key (or a repeated top-level key
 * to locate) to topLevelMembersOf, which decodes its top-level keys; members below the top
 * level are then found by the caller's own walk. A repeated key resolves to its last
 * occurrence, the one whose value JSON.parse keeps.
 */
const keys: KeyToLocate[] = [];
const idsByKey = new Map<string, number>();

/** The number of the top-level member `name` (registered on first use; lines scanned from then on locate it). */
export function topLevelMemberId(name: string): number {
  return idOf(-1, name);
}

/** The number of the member `name` of the object value of the top-level member `parent`. */
export function childMemberId(parent: string, name: string): number {
  return idOf(topLevelMemberId(parent), name);
}

function idOf(parent: number, name: string): number {
  const key = `${parent}\n${name}`;
  let id = idsByKey.get(key);
  if (id !== undefined) return id;
  id = keys.length;
  keys.push({ parent, name });
  idsByKey.set(key, id);
  locateKeys(keys);
  return id;
}

/**
 * By id, where each registered member lies (-1 when the line lacks it): what the scan located
 * (a top-level member's index in the member table, a child's in the nested table), or else the
 * top-level members found here by decoded key into `into`, children all -1 (see childrenLocated).
 */
export function topLevelMembersOf(line: ScannedLine, into: number[]): readonly number[] {
  const located = line.keys;
  if (located !== undefined && located.length === keys.length) return located;
  const { bytes, members } = line;
  for (let id = 0; id < keys.length; id += 1) into[id] = -1;
  into.length = keys.length;
  for (let at = 0; at < members.length; at += MEMBER_FIELDS) {
    const id = idsByKey.get(`-1\n${decodeKey(bytes, members[at]!, members[at + 1]!)}`);
    if (id !== undefined) into[id] = at;
  }
  return into;
}

/** Whether `indexes`, what topLevelMembersOf gave for `line`, holds where its children lie too. */
export function childrenLocated(line: ScannedLine, indexes: readonly number[]): boolean {
  return indexes === line.keys;
}
