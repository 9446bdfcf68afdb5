import { ExtData } from '@msgpack/msgpack';
import type { AuditEvent } from '../../pipeline/audit-record.js';
import { eventTimeOf } from '../../pipeline/event-fields.js';

/** Forward Protocol v1: EventTime is msgpack ext type 0 with 8 bytes of data (a fixext 8). */
export const EVENT_TIME_EXT_TYPE = 0;

/**
 * The EventTime of an audit event: its `stageTimestamp` (or `requestReceivedTimestamp`) with the
 * sub-second part kept to the nanosecond, as big-endian uint32 seconds + uint32 nanoseconds.
 * An event with neither timestamp gets the time it is shipped, so it is still accepted.
 */
export function eventTimeExtension(event: AuditEvent, now: () => number = Date.now): ExtData {
  const time = eventTimeOf(event) ?? fromMillis(now());
  const data = new Uint8Array(8);
  const view = new DataView(data.buffer);
  view.setUint32(0, time.seconds);
  view.setUint32(4, time.nanoseconds);
  return new ExtData(EVENT_TIME_EXT_TYPE, data);
}

function fromMillis(millis: number): { seconds: number; nanoseconds: number } {
  const seconds = Math.floor(millis / 1000);
  return { seconds, nanoseconds: (millis - seconds * 1000) * 1_000_000 };
}
