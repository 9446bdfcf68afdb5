import type { AuditRecord } from '../../pipeline/audit-record.js';
import { InternedHeaders } from './interned-headers.js';
import type { HeaderChoice, MessageKeyChoice } from './kafka-sink-config.js';
import { eventStringField, ScannedLineFields, type MessageField } from './message-fields.js';

/**
 * Fixed bytes of one record in a v2 record batch, at their largest: length, attributes,
 * timestamp delta, offset delta, key length, value length and header count, all varints.
 */
const RECORD_FRAMING_BYTES = 36;
/** Header of a v2 record batch: base offset, length, epoch, magic, CRC, attributes, ... record count. */
const RECORD_BATCH_OVERHEAD_BYTES = 61;

/** The most bytes one message may take so a record batch holding it alone stays within `maxMessageBytes`. */
export function recordBytesLimit(maxMessageBytes: number): number {
  return maxMessageBytes - RECORD_BATCH_OVERHEAD_BYTES;
}

const HEADER_FIELDS: Record<HeaderChoice, MessageField> = {
  stage: { member: 'stage' },
  verb: { member: 'verb' },
  resource: { member: 'objectRef', child: 'resource' },
  namespace: { member: 'objectRef', child: 'namespace' },
  level: { member: 'level' },
};

const KEY_FIELDS: Record<MessageKeyChoice, MessageField | undefined> = {
  auditID: { member: 'auditID' },
  namespace: { member: 'objectRef', child: 'namespace' },
  user: { member: 'user', child: 'username' },
  none: undefined,
};

/** One header as librdkafka's produce() takes it: its name, and its value's bytes. */
export type MessageHeader = Record<string, Buffer>;

/** A message ready for librdkafka's produce(), with an upper bound of the bytes it takes in a record batch. */
export interface SizedMessage {
  message: { value: Buffer; key: string | null; headers?: MessageHeader[] };
  bytes: number;
}

/**
 * Builds the Kafka message of each record for one key and header choice. The value is
 * `record.value` as it is (the log line's bytes unless a processor rewrote the event). No
 * timestamp is set, so the broker's CreateTime is the send time: stamping the event's own time
 * would let retention.ms delete replayed old events at once. An event without the key field
 * (e.g. a cluster-scoped request under `--kafka-key namespace`) gets no key, so the partitioner
 * spreads it; a header whose field the event lacks is left out.
 */
export class KafkaMessageBuilder {
  private readonly key: MessageField | undefined;
  private readonly headers: Array<{ field: MessageField; values: InternedHeaders }>;
  /** Reads the fields from the bytes while the record still is the line the scanner read. */
  private readonly lineFields = new ScannedLineFields();

  constructor(key: MessageKeyChoice, headers: readonly HeaderChoice[]) {
    this.key = KEY_FIELDS[key];
    this.headers = headers.map((name) => ({ field: HEADER_FIELDS[name], values: new InternedHeaders(name) }));
  }

  build(record: AuditRecord): SizedMessage {
    // A record parsed whole or rewritten answers from its event.
    const line = this.key === undefined && this.headers.length === 0 ? undefined : record.scannedLine?.();
    const scanned = line !== undefined;
    if (scanned) this.lineFields.reset(line);
    const keyText = this.key === undefined ? undefined : this.fieldOf(record, scanned, this.key);
    let bytes = RECORD_FRAMING_BYTES + record.value.length + (keyText === undefined ? 0 : Buffer.byteLength(keyText));
    const message: SizedMessage['message'] = { value: record.value, key: keyText ?? null };
    if (this.headers.length > 0) {
      const messageHeaders: MessageHeader[] = [];
      for (const { field, values } of this.headers) {
        const value = this.fieldOf(record, scanned, field);
        if (value === undefined) continue;
        const interned = values.of(value);
        messageHeaders.push(interned.header);
        bytes += interned.bytes;
      }
      message.headers = messageHeaders;
    }
    return { message, bytes };
  }

  private fieldOf(record: AuditRecord, scanned: boolean, field: MessageField): string | undefined {
    return scanned ? this.lineFields.stringOf(field) : eventStringField(record.event, field);
  }
}
