import { locateTopLevelKeys, MEMBER_FIELDS } from '../pipeline/json-scanner.js';
import type { ScannedLine } from '../pipeline/audit-record.js';
import { decodeKey } from '../pipeline/lazy-event.js';

/**
 * The top-level members the rules read (verb, objectRef, user, requestObject, …), numbered. The
 * line scanner locates them as it scans (see locateTopLevelKeys): each key of a line is looked
 * up once, in WebAssembly, instead of the member table being searched once per name a rule or
 * the redaction asks for.
 *
 * A key is matched as JSON.parse would decode it: the scan matches plain ASCII keys by their
 * bytes and leaves a line with an escaped, non-ASCII or empty key to topLevelMembersOf, which
 * decodes them. A repeated key resolves to its last occurrence, the one whose value JSON.parse
 * keeps.
 */
const names: string[] = [];
const idsByName = new Map<string, number>();

/** The number of `name` (registered on first use; lines scanned from then on locate it). */
export function topLevelMemberId(name: string): number {
  let id = idsByName.get(name);
  if (id !== undefined) return id;
  id = names.length;
  names.push(name);
  idsByName.set(name, id);
  locateTopLevelKeys(names);
  return id;
}

/**
 * By id, where each registered member lies in the line's member table (its index there, -1 when
 * the line lacks it): what the scan located, or else found here by decoded key into `into`.
 */
export function topLevelMembersOf(line: ScannedLine, into: number[]): readonly number[] {
  const located = line.keys;
  if (located !== undefined && located.length === names.length) return located;
  const { bytes, members } = line;
  for (let id = 0; id < names.length; id += 1) into[id] = -1;
  into.length = names.length;
  for (let at = 0; at < members.length; at += MEMBER_FIELDS) {
    const id = idsByName.get(decodeKey(bytes, members[at]!, members[at + 1]!));
    if (id !== undefined) into[id] = at;
  }
  return into;
}
