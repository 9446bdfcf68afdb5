import type { AuditRecord } from './audit-record.js';

/**
 * A step between decoding and batching (redaction, filtering, detections). Processors run
 * synchronously on the hot path, one record at a time, in the order configured.
 *
 * A processor that changes `record.event` must also refresh `record.value` (the bytes that are
 * shipped); one that leaves the event alone must leave `value` alone, so unchanged events stay
 * byte-identical to the log line.
 */
export interface Processor {
  readonly name: string;
  /**
   * Whether it reads fields of every event, rather than first checking the bytes for a hint
   * that the event concerns it. If any processor does, lines are parsed whole up front.
   */
  readonly readsEveryEvent: boolean;
  /** `drop` removes the record from the stream; its line still counts as handled for checkpoints. */
  process(record: AuditRecord): ProcessorVerdict;
}

export type ProcessorVerdict = 'keep' | 'drop';
