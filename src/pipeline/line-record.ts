import type { AuditEvent, AuditRecord, RecordOrigin } from './audit-record.js';
import { decodeLine } from './decoder.js';

/**
 * The record of one log line. Its parsed event can be let go once the processors have run
 * (`releaseEvent`), for sinks that ship `value` only: a parsed event takes several times the
 * memory of its bytes, and keeping every one alive until its batch is acknowledged is what made
 * catch-up spend a quarter of its time in the garbage collector and pushed peak RSS past budget.
 *
 * Reading `event` after the release parses `value` again. By the AuditRecord contract `value` is
 * the serialised event (processors that change the event refresh it), so a reader sees the same
 * event either way; only the time differs.
 */
export class LineRecord implements AuditRecord {
  declare detections?: readonly string[];
  private parsed: AuditEvent | undefined;

  constructor(
    public value: Buffer,
    event: AuditEvent,
    readonly origin: RecordOrigin,
  ) {
    this.parsed = event;
  }

  get event(): AuditEvent {
    this.parsed ??= parseValue(this.value);
    return this.parsed;
  }

  set event(event: AuditEvent) {
    this.parsed = event;
  }

  releaseEvent(): void {
    this.parsed = undefined;
  }
}

function parseValue(value: Buffer): AuditEvent {
  const decoded = decodeLine(value);
  // Unreachable by construction: value was decoded (or serialised from an object) before.
  if (decoded.kind !== 'event') throw new Error('a shipped record no longer decodes to an event');
  return decoded.event;
}
