import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Encoder } from '@msgpack/msgpack';
import type { AuditRecord } from '../../pipeline/audit-record.js';
import { eventTimeExtension } from './event-time.js';

const gzipAsync = promisify(gzip);

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

/**
 * Turns a batch into Forward Protocol v1 messages: `[tag, bin(entries), {size, chunk[, compressed]}]`,
 * each entry a msgpack `[EventTime, record]` where the record is the event as a map, so unknown
 * fields travel as they are. A batch larger than the cap becomes several messages; the cap counts
 * uncompressed bytes, so a compressed message is always within it too.
 */
export class PackedForwardEncoder {
  // Audit events nest requestObject/responseObject deeply; msgpack's default depth of 100 would
  // make such an event fail on every retry.
  private readonly encoder = new Encoder({ maxDepth: 10_000 });
  private readonly entryBudget: number;

  constructor(private readonly options: PackedForwardEncoderOptions) {
    this.entryBudget = options.maxMessageBytes - ENVELOPE_BYTES - options.maxTagBytes;
    if (this.entryBudget <= 0) throw new RangeError(`maxMessageBytes ${options.maxMessageBytes} leaves no room for entries`);
  }

  async encode(records: readonly AuditRecord[], tag: string): Promise<ForwardMessage[]> {
    const messages: ForwardMessage[] = [];
    for (const group of this.groupEntries(records)) messages.push(await this.message(group, tag));
    return messages;
  }

  private *groupEntries(records: readonly AuditRecord[]): Generator<Uint8Array[]> {
    let group: Uint8Array[] = [];
    let groupBytes = 0;
    for (const record of records) {
      const entry = this.encoder.encode([eventTimeExtension(record.event), record.event]);
      if (group.length > 0 && groupBytes + entry.length > this.entryBudget) {
        yield group;
        group = [];
        groupBytes = 0;
      }
      group.push(entry);
      groupBytes += entry.length;
    }
    if (group.length > 0) yield group;
  }

  private async message(entries: Uint8Array[], tag: string): Promise<ForwardMessage> {
    const chunk = newChunkId();
    const packed = Buffer.concat(entries);
    const compressed = this.options.compression === 'gzip';
    const body = compressed ? await gzipAsync(packed) : packed;
    const option: Record<string, unknown> = { size: entries.length, chunk };
    if (compressed) option.compressed = 'gzip';
    return { chunk, bytes: this.encoder.encode([tag, body, option]), entryCount: entries.length };
  }
}

/** Like Fluentd's out_forward: 16 random bytes, base64, unique enough to tell acks apart. */
export function newChunkId(): string {
  return randomBytes(16).toString('base64');
}
