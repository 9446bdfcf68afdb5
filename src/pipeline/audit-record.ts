import type { AuditEvent } from '../audit/audit-event.js';
import type { LocatedKeys, MemberTable, NestedMembers } from './json-scanner.js';

/**
 * One audit event on its way from the log file to a sink.
 *
 * `value` is what the sinks ship: the original line's bytes (without the newline) unless a
 * processor rewrote the event, in which case it is the re-serialised event. Keeping the
 * original bytes lets Kafka and the file sink pass events through byte-identical.
 */
export interface AuditRecord {
  /** Bytes to ship, UTF-8 JSON of one event, no trailing newline. */
  value: Buffer;
  /** The parsed event. Unknown fields are kept; processors that change it must refresh `value`. */
  event: AuditEvent;
  /** Where the line came from, for dead-letter entries and log lines. */
  origin: RecordOrigin;
  /**
   * Ids of the detection rules the event matched (set by the detections processor, absent when
   * none matched), so sinks can also route the event to an alerts topic or tag.
   */
  detections?: readonly string[];
  /**
   * Lets the parsed event go; reading `event` afterwards parses `value` again (the same event, by
   * the contract above). For sinks that took the few fields they need and then hold the record
   * only for its bytes until the acknowledgement. Absent on records that cannot re-parse.
   */
  releaseEvent?(): void;
  /**
   * The line's bytes and where its top-level members lie, when `value` is still the line the
   * byte scanner read (undefined once parsed whole or rewritten): lets the detection rules read
   * small fields from the bytes without building the event, and redaction see that a line has
   * no request or response body. Read it during `process` only: its tables may be reused for the
   * next line once the processors are done with this one.
   */
  scannedLine?(): ScannedLine | undefined;
}

export interface ScannedLine {
  readonly bytes: Buffer;
  readonly members: MemberTable;
  /** Where the members of its top-level object values lie, when the scanner noted them. */
  readonly nested?: NestedMembers;
  /** Where the top-level keys processors read are, when the scanner located them (see json-scanner). */
  readonly keys?: LocatedKeys;
}

export interface RecordOrigin {
  /** Path the line was read from (the backup's name once the file was rotated). */
  path: string;
  /** Byte offset of the line's first byte in the (decompressed) file. */
  offset: number;
}

/** A group of records sent to a sink in one call. */
export interface Batch {
  /** Monotonic id, unique within one agent process. */
  readonly id: number;
  readonly records: AuditRecord[];
  /** Sum of `value.length` over the records. */
  readonly bytes: number;
}
