import type { AuditRecord } from '../../pipeline/audit-record.js';
import {
  auditIdOf,
  levelOf,
  namespaceOf,
  resourceOf,
  stageOf,
  usernameOf,
  verbOf,
} from '../../audit/event-fields.js';
import type { AuditEvent } from '../../audit/audit-event.js';
import type { HeaderChoice, MessageKeyChoice } from './kafka-sink-config.js';

/**
 * Fixed bytes of one record in a v2 record batch, at their largest: length, attributes,
 * timestamp delta, offset delta, key length, value length and header count, all varints.
 */
const RECORD_FRAMING_BYTES = 36;
/** Key-length and value-length varints of one header, at their largest. */
const HEADER_FRAMING_BYTES = 10;
/** Header of a v2 record batch: base offset, length, epoch, magic, CRC, attributes, ... record count. */
const RECORD_BATCH_OVERHEAD_BYTES = 61;

/** The most bytes one message may take so a record batch holding it alone stays within `maxMessageBytes`. */
export function recordBytesLimit(maxMessageBytes: number): number {
  return maxMessageBytes - RECORD_BATCH_OVERHEAD_BYTES;
}

const HEADER_READERS: Record<HeaderChoice, (event: AuditEvent) => string | undefined> = {
  stage: stageOf,
  verb: verbOf,
  resource: resourceOf,
  namespace: namespaceOf,
  level: levelOf,
};

const KEY_READERS: Record<MessageKeyChoice, (event: AuditEvent) => string | undefined> = {
  auditID: auditIdOf,
  namespace: namespaceOf,
  user: usernameOf,
  none: () => undefined,
};

/** One header as librdkafka's produce() takes it. */
export type MessageHeader = Record<string, string>;

/** A message ready for librdkafka's produce(), with an upper bound of the bytes it takes in a record batch. */
export interface SizedMessage {
  message: { value: Buffer; key: string | null; headers?: MessageHeader[] };
  bytes: number;
}

/**
 * The Kafka message for one record. The value is `record.value` as it is (the log line's bytes
 * unless a processor rewrote the event). No timestamp is set, so the broker's CreateTime is the
 * send time: stamping the event's own time would let retention.ms delete replayed old events at once.
 * An event without the key field (e.g. a cluster-scoped request under `--kafka-key namespace`)
 * gets no key, so the partitioner spreads it.
 */
export function toKafkaMessage(record: AuditRecord, key: MessageKeyChoice, headers: readonly HeaderChoice[]): SizedMessage {
  const keyText = KEY_READERS[key](record.event);
  let bytes = RECORD_FRAMING_BYTES + record.value.length + (keyText === undefined ? 0 : Buffer.byteLength(keyText));
  const message: SizedMessage['message'] = { value: record.value, key: keyText ?? null };
  if (headers.length > 0) {
    const messageHeaders: MessageHeader[] = [];
    for (const name of headers) {
      const headerValue = HEADER_READERS[name](record.event);
      if (headerValue === undefined) continue;
      messageHeaders.push({ [name]: headerValue });
      bytes += HEADER_FRAMING_BYTES + name.length + Buffer.byteLength(headerValue);
    }
    message.headers = messageHeaders;
  }
  return { message, bytes };
}
