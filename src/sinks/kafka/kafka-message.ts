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
import { InternedHeaders } from './interned-headers.js';
import type { HeaderChoice, MessageKeyChoice } from './kafka-sink-config.js';
import { messageFieldsOf } from './message-fields.js';

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

/** An event field read for the key or a header, and the top-level member it is read from. */
interface FieldReader {
  member: string;
  read(event: AuditEvent): string | undefined;
}

const HEADER_READERS: Record<HeaderChoice, FieldReader> = {
  stage: { member: 'stage', read: stageOf },
  verb: { member: 'verb', read: verbOf },
  resource: { member: 'objectRef', read: resourceOf },
  namespace: { member: 'objectRef', read: namespaceOf },
  level: { member: 'level', read: levelOf },
};

const KEY_READERS: Record<MessageKeyChoice, FieldReader | undefined> = {
  auditID: { member: 'auditID', read: auditIdOf },
  namespace: { member: 'objectRef', read: namespaceOf },
  user: { member: 'user', read: usernameOf },
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
  private readonly key: FieldReader | undefined;
  private readonly headers: Array<{ reader: FieldReader; values: InternedHeaders }>;
  /** The top-level members the key and the headers read, each once. */
  private readonly members: string[];

  constructor(key: MessageKeyChoice, headers: readonly HeaderChoice[]) {
    this.key = KEY_READERS[key];
    this.headers = headers.map((name) => ({ reader: HEADER_READERS[name], values: new InternedHeaders(name) }));
    const readers = this.key === undefined ? this.headers.map(({ reader }) => reader) : [this.key, ...this.headers.map(({ reader }) => reader)];
    this.members = [...new Set(readers.map((reader) => reader.member))];
  }

  build(record: AuditRecord): SizedMessage {
    const fields = this.members.length === 0 ? undefined : messageFieldsOf(record, this.members);
    const keyText = fields === undefined ? undefined : this.key?.read(fields);
    let bytes = RECORD_FRAMING_BYTES + record.value.length + (keyText === undefined ? 0 : Buffer.byteLength(keyText));
    const message: SizedMessage['message'] = { value: record.value, key: keyText ?? null };
    if (fields !== undefined && this.headers.length > 0) {
      const messageHeaders: MessageHeader[] = [];
      for (const { reader, values } of this.headers) {
        const value = reader.read(fields);
        if (value === undefined) continue;
        const interned = values.of(value);
        messageHeaders.push(interned.header);
        bytes += interned.bytes;
      }
      message.headers = messageHeaders;
    }
    return { message, bytes };
  }
}
