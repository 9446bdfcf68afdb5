import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Encoder } from '@msgpack/msgpack';
import type { AuditEvent } from '../../audit/audit-event.js';
import type { AuditRecord } from '../../pipeline/audit-record.js';
import { EVENT_TIME_BYTES, writeEventTime } from './event-time.js';
import { GrowableBuffer } from './growable-buffer.js';
import { JsonToMsgpack } from './json-to-msgpack.js';

const gzipAsync = promisify(gzip);

/**
 * zlib level 3 rather than the default 6: on audit-event msgpack it costs about half the CPU for
 * a little less compression (docs/performance.md has the figures); the agent shares the
 * control-plane node's CPU, and the bandwidth to the aggregator is rarely the limit.
 */
const GZIP_LEVEL = 3;

export type ForwardCompression = 'none' | 'gzip';

/** One PackedForward (or CompressedPackedForward) message, ready to write, and the chunk id its ack must carry. */
export interface ForwardMessage {
  readonly chunk: string;
  readonly bytes: Uint8Array;
  readonly entryCount: number;
}

export interface PackedForwardEncoderOptions {
  compression: ForwardCompression;
  /** No message is larger than this unless one event alone is (then it travels alone). */
  maxMessageBytes: number;
  /** Bytes of the longest tag the encoder will be given, so the envelope's room is known up front. */
  maxTagBytes: number;
}

/**
 * Room left for the envelope around the entries: array header, tag, bin header and the option
 * map (`size`, a 24-character `chunk`, `compressed`), with a margin.
 */
const ENVELOPE_BYTES = 128;

/** The two timestamps the EventTime is taken from, captured while the event is transcoded. */
const TIMESTAMP_FIELDS = ['stageTimestamp', 'requestReceivedTimestamp'];

/** An entry starts with a fixarray of 2 (time, record) and the EventTime. */
const ENTRY_HEAD_BYTES = 1 + EVENT_TIME_BYTES;

/**
 * Turns a batch into Forward Protocol v1 messages: `[tag, bin(entries), {size, chunk[, compressed]}]`,
 * each entry a msgpack `[EventTime, record]` where the record is the event as a map, so unknown
 * fields travel as they are. A batch larger than the cap becomes several messages; the cap counts
 * uncompressed bytes, so a compressed message is always within it too.
 *
 * The record map is transcoded from the record's JSON bytes (`value`), never from the parsed
 * event, so the sink ships value only; the bytes are what @msgpack/msgpack makes of the parsed
 * event. The few events the transcoder leaves (duplicate or array-index keys, invalid UTF-8) are
 * parsed and encoded as before.
 */
export class PackedForwardEncoder {
  private readonly transcoder = new JsonToMsgpack(TIMESTAMP_FIELDS);
  // Audit events nest requestObject/responseObject deeply; msgpack's default depth of 100 would
  // make such an event fail on every retry.
  private readonly encoder = new Encoder({ maxDepth: 10_000 });
  /** The entries of the message being packed; reused, so packing allocates nothing per event. */
  private readonly entries = new GrowableBuffer(1024 * 1024);
  private readonly entryBudget: number;

  constructor(private readonly options: PackedForwardEncoderOptions) {
    this.entryBudget = options.maxMessageBytes - ENVELOPE_BYTES - options.maxTagBytes;
    if (this.entryBudget <= 0) throw new RangeError(`maxMessageBytes ${options.maxMessageBytes} leaves no room for entries`);
  }

  /**
   * The messages of a batch. Packing is synchronous (the entry buffer is shared by concurrent
   * sends); only gzip, on the thread pool, is awaited, on a copy of the entries.
   */
  async encode(records: readonly AuditRecord[], tag: string): Promise<ForwardMessage[]> {
    const messages: (ForwardMessage | Promise<ForwardMessage>)[] = [];
    const entries = this.entries;
    entries.length = 0;
    let count = 0;
    for (const record of records) {
      const entryFrom = entries.length;
      this.appendEntry(record);
      if (count > 0 && entries.length > this.entryBudget) {
        messages.push(this.message(entries.bytes.subarray(0, entryFrom), count, tag));
        entries.bytes.copyWithin(0, entryFrom, entries.length);
        entries.length -= entryFrom;
        count = 0;
      }
      count += 1;
    }
    if (count > 0) messages.push(this.message(entries.bytes.subarray(0, entries.length), count, tag));
    return Promise.all(messages);
  }

  /** Appends `[EventTime, record]` to the entries. */
  private appendEntry(record: AuditRecord): void {
    const entries = this.entries;
    entries.reserve(ENTRY_HEAD_BYTES);
    const head = entries.length;
    entries.length += ENTRY_HEAD_BYTES;
    if (this.transcoder.append(record.value, entries)) {
      const timestamps = { stageTimestamp: this.transcoder.captured(0), requestReceivedTimestamp: this.transcoder.captured(1) };
      writeEntryHead(timestamps, entries.bytes, head);
      return;
    }
    // The transcoder's reference: what JSON.parse makes of the bytes (after a BOM, as the decoder reads them).
    const value = record.value;
    const bom = value[0] === 0xef && value[1] === 0xbb && value[2] === 0xbf ? 3 : 0;
    const event = JSON.parse(value.toString('utf8', bom)) as AuditEvent;
    const map = this.encoder.encodeSharedRef(event);
    entries.reserve(map.length);
    writeEntryHead(event, entries.bytes, head);
    entries.bytes.set(map, entries.length);
    entries.length += map.length;
  }

  /** Wraps entries into a message; `entries` is only read before this returns. */
  private message(entries: Uint8Array, entryCount: number, tag: string): ForwardMessage | Promise<ForwardMessage> {
    const chunk = newChunkId();
    if (this.options.compression === 'none') return { chunk, bytes: this.envelope(tag, entries, { size: entryCount, chunk }), entryCount };
    return gzipAsync(Buffer.from(entries), { level: GZIP_LEVEL }).then((body) => ({
      chunk,
      bytes: this.envelope(tag, body, { size: entryCount, chunk, compressed: 'gzip' }),
      entryCount,
    }));
  }

  /** `[tag, bin(body), option]`, copied into one new buffer that the socket may hold on to. */
  private envelope(tag: string, body: Uint8Array, option: Record<string, unknown>): Buffer {
    return Buffer.concat([FIXARRAY_OF_3, this.encoder.encode(tag), binHeader(body.length), body, this.encoder.encode(option)]);
  }
}

const FIXARRAY_OF_3 = Buffer.from([0x93]);

function binHeader(length: number): Buffer {
  if (length < 0x100) return Buffer.from([0xc4, length]);
  if (length < 0x10000) return Buffer.from([0xc5, length >> 8, length & 0xff]);
  const header = Buffer.from([0xc6, 0, 0, 0, 0]);
  header.writeUInt32BE(length, 1);
  return header;
}

function writeEntryHead(timestamps: Parameters<typeof writeEventTime>[0], out: Buffer, at: number): void {
  out[at] = 0x92;
  writeEventTime(timestamps, out, at + 1);
}

/** Like Fluentd's out_forward: 16 random bytes, base64, unique enough to tell acks apart. */
export function newChunkId(): string {
  return randomBytes(16).toString('base64');
}
