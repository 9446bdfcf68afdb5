import type { AuditEvent } from '../audit/audit-event.js';
import type { AuditRecord, RecordOrigin, ScannedLine } from './audit-record.js';
import { decodeLine } from './decoder.js';
import type { LocatedKeys, MemberTable, NestedMembers } from './json-scanner.js';
import { lazyAuditEvent } from './lazy-event.js';

/**
 * The record of one log line. Unless the pipeline parsed it whole up front (see parseLine), its
 * event is parsed lazily, one top-level field at a time (see lazy-event), so an event that no
 * processor and no sink looks into is never parsed at all, and a sink that reads the auditID
 * for a message key costs that string only.
 *
 * `releaseEvent` lets go of whatever was parsed, for sinks that ship `value` only: a parsed event
 * takes several times the memory of its bytes, and keeping them alive until their batch is
 * acknowledged made catch-up spend a quarter of its time in the garbage collector.
 *
 * By the AuditRecord contract `value` is the serialised event (processors that change the event
 * refresh it), so reading `event` after a release reads the same event from `value` again.
 */
export class LineRecord implements AuditRecord {
  declare detections?: readonly string[];
  private bytes: Buffer;
  /** Where the top-level members of `bytes` lie; undefined once `value` was replaced. */
  private members: MemberTable | undefined;
  /** Where the members of its object values lie, when the scanner noted them; goes with `members`. */
  private nested: NestedMembers | undefined;
  /** Where the processors' top-level keys are, when the scanner located them; goes with `members`. */
  private keys: LocatedKeys | undefined;
  private parsed: AuditEvent | undefined;
  /** What scannedLine gave, for the processors that ask after the first. */
  private line: ScannedLine | undefined;
  /**
   * Whether `members` and `nested` are the line handler's ReusedTables, which the next line
   * overwrites: the handler lets go of them (releaseEvent) before it decodes that line, and the
   * lazily parsed event, which a processor may keep (an alert), gets copies.
   */
  private tablesReused = false;

  private constructor(
    value: Buffer,
    members: MemberTable | undefined,
    event: AuditEvent | undefined,
    readonly origin: RecordOrigin,
  ) {
    this.bytes = value;
    this.members = members;
    this.parsed = event;
  }

  /**
   * A line the scanner validated: its event is parsed on demand (members found again if not
   * given). `reused`: the tables are ReusedTables (see tablesReused).
   */
  static scanned(value: Buffer, members: MemberTable | undefined, origin: RecordOrigin, nested?: NestedMembers, reused = false, keys?: LocatedKeys): LineRecord {
    const record = new LineRecord(value, members, undefined, origin);
    if (members !== undefined) {
      record.nested = nested;
      record.keys = keys;
      record.tablesReused = reused;
    }
    return record;
  }

  /** A line already parsed whole; after a release it is read lazily like a scanned one. */
  static parsed(value: Buffer, event: AuditEvent, origin: RecordOrigin): LineRecord {
    return new LineRecord(value, undefined, event, origin);
  }

  get value(): Buffer {
    return this.bytes;
  }

  set value(value: Buffer) {
    this.bytes = value;
    this.dropTables();
  }

  get event(): AuditEvent {
    if (this.parsed === undefined) {
      if (this.tablesReused) this.ownTables();
      this.parsed = lazyAuditEvent(this.bytes, (this.members ??= membersOf(this.bytes)));
    }
    return this.parsed;
  }

  set event(event: AuditEvent) {
    this.parsed = event;
    // The bytes no longer describe this event until `value` is refreshed.
    this.dropTables();
  }

  scannedLine(): ScannedLine | undefined {
    const members = this.members;
    if (members === undefined) return undefined;
    if (this.line?.members !== members) this.line = { bytes: this.bytes, members, nested: this.nested, keys: this.keys };
    return this.line;
  }

  /** Lets go of the parsed event and the member tables: both are found again from `value` if needed. */
  releaseEvent(): void {
    this.parsed = undefined;
    this.dropTables();
    // The scanned line holds the member tables too: kept until the batch is acknowledged, they
    // outlived the young generation and made the collector's old-generation work.
    this.line = undefined;
  }

  private dropTables(): void {
    this.members = undefined;
    this.nested = undefined;
    this.keys = undefined;
    this.tablesReused = false;
  }

  /** Copies of the reused tables, which the record may then keep as long as it likes. */
  private ownTables(): void {
    this.members = this.members?.slice();
    this.nested = this.nested?.slice();
    this.keys = this.keys?.slice();
    this.tablesReused = false;
  }
}

function membersOf(value: Buffer): MemberTable {
  const decoded = decodeLine(value);
  // Unreachable by construction: value was decoded (or serialised from an object) before.
  if (decoded.kind !== 'event' || decoded.members === undefined) throw new Error('a shipped record no longer decodes to an event');
  return decoded.members;
}
