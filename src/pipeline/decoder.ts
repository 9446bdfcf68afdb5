import type { AuditEvent } from '../audit/audit-event.js';
import {
  copyLocatedKeysOfLastScan,
  copyMembersOfLastScan,
  copyNestedOfLastScan,
  INVALID,
  membersOfLastScan,
  nestedOfLastScan,
  scanJsonObject,
  type LocatedKeys,
  type MemberTable,
  type NestedMembers,
} from './json-scanner.js';

export type Decoded =
  /**
   * A JSON object; `members` is where its top-level keys and values lie (see json-scanner), when
   * asked for: a sink that ships bytes only and no processor will read the event needs none.
   * `nested`, when asked for too, where the members of its object values lie, and `keys` where
   * the top-level keys processors read are, when the scan could tell (see json-scanner).
   */
  | { kind: 'event'; members: MemberTable | undefined; nested?: NestedMembers; keys?: LocatedKeys | undefined }
  | { kind: 'empty' }
  | { kind: 'invalid'; reason: string };

/**
 * Arrays that take the member tables of one line after another: for a line whose tables are
 * read while it is processed and let go of before the next line is decoded (see LineHandler),
 * no tables of its own to allocate and collect.
 */
export interface ReusedTables {
  readonly members: number[];
  readonly nested: number[];
  readonly keys: number[];
}

export type Parsed = { kind: 'event'; event: AuditEvent } | { kind: 'empty' } | { kind: 'invalid'; reason: string };

/** Bytes of a UTF-8 byte-order mark. */
const BOM_BYTES = 3;

/**
 * Decides whether one line is an event. Anything that is not a JSON object (garbage, a truncated
 * write, an array, a bare string) is `invalid`, never dropped silently: the caller dead-letters or
 * ships it. A UTF-8 byte-order mark is tolerated (AKS exports carry one); the agent strips it
 * before it gets here (withoutBom), so that what it ships is plain JSON.
 *
 * Valid lines are proven so by the byte scanner, without building the event (the event is parsed
 * lazily, if at all; see lazy-event). Only a rejected line goes through JSON.parse, to word the
 * reason the way operators know from other tools.
 */
export function decodeLine(bytes: Buffer, keep: 'members' | 'members and nested' | 'nothing' | ReusedTables = 'members'): Decoded {
  const start = startsWithBom(bytes) ? BOM_BYTES : 0;
  if (isBlank(bytes, start)) return { kind: 'empty' };
  const reused = typeof keep === 'object' ? keep : undefined;
  const nested = keep === 'members and nested' || reused !== undefined;
  const memberCount = scanJsonObject(bytes, start, bytes.length, nested);
  if (memberCount !== INVALID) {
    if (keep === 'nothing') return { kind: 'event', members: undefined };
    if (reused !== undefined) {
      return {
        kind: 'event',
        members: copyMembersOfLastScan(memberCount, reused.members),
        nested: copyNestedOfLastScan(reused.nested),
        keys: copyLocatedKeysOfLastScan(reused.keys),
      };
    }
    return nested
      ? { kind: 'event', members: membersOfLastScan(memberCount), nested: nestedOfLastScan(), keys: copyLocatedKeysOfLastScan([]) }
      : { kind: 'event', members: membersOfLastScan(memberCount) };
  }
  return { kind: 'invalid', reason: rejectionReason(bytes.toString('utf8', start)) };
}

function rejectionReason(text: string): string {
  const parsed = parseObject(text);
  // The scanner is held to JSON.parse's verdict by tests; should they ever disagree, the line is
  // still kept (in the dead-letter file), not shipped as an event the scanner could not read.
  return parsed.kind === 'invalid' ? parsed.reason : 'a JSON object the byte scanner could not read';
}

/**
 * Like decodeLine, but builds the whole event with JSON.parse, which validates it too. For
 * pipelines whose processors read fields of every event (detection rules, filters): there a
 * plain object is read several times faster than a lazily parsed one, and the scan would be
 * extra work.
 */
export function parseLine(bytes: Buffer): Parsed {
  const start = startsWithBom(bytes) ? BOM_BYTES : 0;
  if (isBlank(bytes, start)) return { kind: 'empty' };
  return parseObject(bytes.toString('utf8', start));
}

function parseObject(text: string): Parsed {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { kind: 'invalid', reason: `not valid JSON: ${(error as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { kind: 'invalid', reason: `not a JSON object but ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}` };
  }
  return { kind: 'event', event: parsed as AuditEvent };
}

/** The line without a leading UTF-8 byte-order mark (the same buffer when it has none). */
export function withoutBom(bytes: Buffer): Buffer {
  return startsWithBom(bytes) ? bytes.subarray(BOM_BYTES) : bytes;
}

// Both checks run on every line: plain indexed reads, no subarray or iterator per line.
function startsWithBom(bytes: Buffer): boolean {
  return bytes.length >= BOM_BYTES && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

function isBlank(bytes: Buffer, start: number): boolean {
  for (let index = start; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  }
  return true;
}
