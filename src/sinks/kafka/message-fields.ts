import type { AuditEvent } from '../../audit/audit-event.js';
import { objectField, stringField } from '../../audit/event-fields.js';
import type { ScannedLine } from '../../pipeline/audit-record.js';
import { lastMemberNamed, lastMemberNamedBetween } from '../../pipeline/lazy-event.js';
import { ObjectMembers } from '../../pipeline/object-members.js';
import { plainStringAt } from '../../pipeline/plain-string-cache.js';

/**
 * A string field of the event that a message key or header is read from: a top-level member
 * (`auditID`), or a member of a top-level object (`objectRef.namespace`). Anything but a string
 * there reads as absent.
 */
export interface MessageField {
  readonly member: string;
  readonly child?: string;
}

/** The field as the event object has it. */
export function eventStringField(event: AuditEvent, field: MessageField): string | undefined {
  const value = (event as Record<string, unknown>)[field.member];
  if (field.child === undefined) return stringField(value);
  return stringField(objectField(value)?.[field.child]);
}

const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;

/**
 * Reads message fields from the bytes of the line the scanner read, one line at a time (the
 * builder points it at each record's line), answering as `eventStringField` does on the parsed
 * event: the last of repeated keys, escapes decoded. Strings are decoded from the line in place
 * and an object member's own members found through the line's nested member table, or by one scan
 * of that object per line however many fields read it (objectRef for the resource and the
 * namespace): parsing objectRef into an object per message showed in the Kafka catch-up profile.
 */
export class ScannedLineFields {
  private bytes: Buffer = Buffer.alloc(0);
  private line: ScannedLine | undefined;
  /** The top-level member last looked up on this line, and where it is in the member table. */
  private member: string | undefined;
  private memberAt = -1;
  /** The object value last located on this line (its start, or -1), and where its members lie. */
  private objectStart = -1;
  private readonly object = new ObjectMembers();

  /** Points at another line. */
  reset(line: ScannedLine): void {
    this.line = line;
    this.bytes = line.bytes;
    this.member = undefined;
    this.objectStart = -1;
  }

  stringOf(field: MessageField): string | undefined {
    const { bytes } = this;
    const { members } = this.line!;
    if (this.member !== field.member) {
      this.member = field.member;
      this.memberAt = lastMemberNamed(bytes, members, field.member);
    }
    const at = this.memberAt;
    if (at < 0) return undefined;
    const start = members[at + 2]!;
    if (field.child === undefined) return stringAt(bytes, start, members[at + 3]!);
    if (bytes[start] !== OPEN_BRACE || !this.objectMembers(start, members[at + 3]!)) return undefined;
    const { table, from, to } = this.object;
    const child = lastMemberNamedBetween(bytes, table, from, to, field.child);
    return child < 0 ? undefined : stringAt(bytes, table[child + 2]!, table[child + 3]!);
  }

  /** Points `object` at the members of the object at `bytes[start, end)`; false if it is not one. */
  private objectMembers(start: number, end: number): boolean {
    if (this.objectStart === start) return true;
    // The line was validated whole; this only finds where the object's members lie.
    if (!this.object.locate(this.bytes, this.line!.nested, start, end)) return false;
    this.objectStart = start;
    return true;
  }
}

/** The string the JSON value at `bytes[start, end)` is, or undefined for any other value. */
function stringAt(bytes: Buffer, start: number, end: number): string | undefined {
  if (bytes[start] !== QUOTE) return undefined;
  return plainStringAt(bytes, start + 1, end - 1) ?? (JSON.parse(bytes.toString('utf8', start, end)) as string);
}
