import type { AuditRecord } from '../pipeline/audit-record.js';
import { decodeLine } from '../pipeline/decoder.js';
import { MEMBER_FIELDS, type MemberTable } from '../pipeline/json-scanner.js';
import { spells } from '../pipeline/plain-string-cache.js';

const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Adds annotations to an event and to the bytes that will be shipped, splicing them into the
 * original JSON instead of re-serialising: everything else stays byte-identical (Go's `\u0026`
 * escapes, number formatting, key order), which matters to consumers that hash or diff events.
 *
 * The splice relies on one scan of the top-level object. When it cannot be done safely (one of
 * the annotations is already there, `annotations` is not an object, or the scan disagrees with
 * the parsed event), the event is re-serialised instead, which is still correct JSON.
 */
export function addAnnotations(record: AuditRecord, annotations: Readonly<Record<string, string>>): void {
  const keys = Object.keys(annotations);
  // Taken before the event changes: the member table the line decoder made for these bytes.
  const scanned = record.scannedLine?.();
  const existing = record.event.annotations;
  const members = keys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(annotations[key])}`).join(',');
  if (existing === undefined) {
    const layout = scanTopLevel(record.value, scanned?.members);
    record.event.annotations = { ...annotations };
    if (layout && layout.annotationsOpen < 0) {
      const prefix = layout.hasMembers ? ',' : '';
      record.value = splice(record.value, layout.objectClose, `${prefix}"annotations":{${members}}`);
      return;
    }
  } else if (isPlainObject(existing) && !keys.some((key) => Object.hasOwn(existing, key))) {
    Object.assign(existing, annotations);
    const layout = scanTopLevel(record.value, scanned?.members);
    if (layout && layout.annotationsOpen >= 0) {
      const suffix = layout.annotationsEmpty ? '' : ',';
      record.value = splice(record.value, layout.annotationsOpen + 1, `${members}${suffix}`);
      return;
    }
  } else if (isPlainObject(existing)) {
    Object.assign(existing, annotations);
  } else {
    record.event.annotations = { ...annotations };
  }
  record.value = Buffer.from(JSON.stringify(record.event));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function splice(bytes: Buffer, at: number, text: string): Buffer {
  return Buffer.concat([bytes.subarray(0, at), Buffer.from(text), bytes.subarray(at)]);
}

interface TopLevelLayout {
  /** Index of the `}` closing the event object. */
  objectClose: number;
  hasMembers: boolean;
  /** Index of the `{` opening the (last) top-level `annotations` value, or -1. */
  annotationsOpen: number;
  annotationsEmpty: boolean;
}

const ANNOTATIONS_KEY = 'annotations';

function membersOf(bytes: Buffer): MemberTable | undefined {
  const decoded = decodeLine(bytes);
  return decoded.kind === 'event' ? decoded.members : undefined;
}

/**
 * Where the top-level members and the `annotations` object of an event's bytes lie, from the
 * line decoder's scan (the one the record kept, or a new one); undefined if the bytes are not
 * one JSON object.
 */
function scanTopLevel(bytes: Buffer, scanned: MemberTable | undefined): TopLevelLayout | undefined {
  const members = scanned ?? membersOf(bytes);
  if (members === undefined) return undefined;
  // Only whitespace may follow the object, so its closing brace is the last one in the bytes.
  const layout: TopLevelLayout = {
    objectClose: bytes.lastIndexOf(CLOSE_BRACE),
    hasMembers: members.length > 0,
    annotationsOpen: -1,
    annotationsEmpty: false,
  };
  for (let at = 0; at < members.length; at += MEMBER_FIELDS) {
    const keyStart = members[at]!;
    if (members[at + 1]! - keyStart !== ANNOTATIONS_KEY.length || !spells(ANNOTATIONS_KEY, bytes, keyStart)) continue;
    // JSON.parse keeps the last of repeated keys, so the last `annotations` member counts.
    const valueStart = members[at + 2]!;
    const valueEnd = members[at + 3]!;
    layout.annotationsOpen = bytes[valueStart] === OPEN_BRACE ? valueStart : -1;
    // A non-empty object holds a quoted key; an empty one holds at most whitespace.
    layout.annotationsEmpty = !bytes.subarray(valueStart, valueEnd).includes(QUOTE);
  }
  return layout;
}
