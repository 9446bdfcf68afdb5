import type { AuditEvent } from '../../audit/audit-event.js';
import { eventTimeOf } from '../../audit/event-fields.js';

/** Forward Protocol v1: EventTime is msgpack ext type 0 with 8 bytes of data (a fixext 8). */
export const EVENT_TIME_EXT_TYPE = 0;

/** Bytes of an encoded EventTime: the fixext 8 marker, the type, seconds and nanoseconds. */
export const EVENT_TIME_BYTES = 10;

/**
 * Writes the EventTime of an audit event at `at`: its `stageTimestamp` (or
 * `requestReceivedTimestamp`) with the sub-second part kept to the nanosecond, as big-endian
 * uint32 seconds + uint32 nanoseconds. An event with neither timestamp gets the time it is
 * shipped, so it is still accepted. Only the two timestamps are read, so a caller can pass them
 * without the rest of the event.
 */
export function writeEventTime(
  timestamps: Pick<AuditEvent, 'stageTimestamp' | 'requestReceivedTimestamp'>,
  out: Buffer,
  at: number,
  now: () => number = Date.now,
): void {
  const time = eventTimeOf(timestamps) ?? fromMillis(now());
  out[at] = 0xd7;
  out[at + 1] = EVENT_TIME_EXT_TYPE;
  out.writeUInt32BE(time.seconds, at + 2);
  out.writeUInt32BE(time.nanoseconds, at + 6);
}

function fromMillis(millis: number): { seconds: number; nanoseconds: number } {
  const seconds = Math.floor(millis / 1000);
  return { seconds, nanoseconds: (millis - seconds * 1000) * 1_000_000 };
}
