import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { Decoder, Encoder, ExtData } from '@msgpack/msgpack';
import type { AuditRecord } from '../../../../src/pipeline/audit-record.js';
import { PackedForwardEncoder } from '../../../../src/sinks/forward/packed-forward-encoder.js';
import { recordOf, sampleEvent } from '../../../helpers/forward/audit-records.js';

/** Decodes without an extension codec, so EventTime stays a raw ExtData as it is on the wire. */
const decode = (bytes: Uint8Array): unknown => new Decoder().decode(bytes);
const decodeAll = (bytes: Uint8Array): unknown[] => [...new Decoder().decodeMulti(bytes)];

describe('PackedForwardEncoder (Forward Protocol v1 PackedForward)', () => {
  it('writes [tag, bin(entries), {size, chunk}] with entries [EventTime ext 0, event map] that keep unknown fields', async () => {
    const events = [sampleEvent(1), sampleEvent(2)];
    const encoder = new PackedForwardEncoder({ compression: 'none', maxMessageBytes: 1024 * 1024, maxTagBytes: 10 });
    const [message, ...rest] = await encoder.encode(events.map((event) => recordOf(event)), 'kube.audit');
    assert.equal(rest.length, 0);
    assert.equal(message.bytes[0], 0x93, 'a fixarray of 3 elements');

    const [tag, entries, option] = decode(message.bytes) as [string, Uint8Array, Record<string, unknown>];
    assert.equal(tag, 'kube.audit');
    assert.ok(entries instanceof Uint8Array, 'entries travel as msgpack bin, not str');
    const binHeader = message.bytes[1 + 1 + 'kube.audit'.length];
    assert.ok([0xc4, 0xc5, 0xc6].includes(binHeader), `bin 8/16/32 header, got 0x${binHeader.toString(16)}`);
    assert.deepEqual(option, { size: 2, chunk: message.chunk });
    assert.equal(message.entryCount, 2);

    const decoded = decodeAll(entries) as [ExtData, Record<string, unknown>][];
    assert.equal(decoded.length, 2);
    decoded.forEach(([time, record], index) => {
      assert.ok(time instanceof ExtData);
      assert.equal(time.type, 0);
      assert.deepEqual(record, events[index], 'the record is the event itself, unknown fields included');
    });
  });

  it('encodes EventTime as fixext 8 (0xd7 0x00) holding big-endian seconds and nanoseconds of stageTimestamp', async () => {
    const encoder = new PackedForwardEncoder({ compression: 'none', maxMessageBytes: 65536, maxTagBytes: 1 });
    const [message] = await encoder.encode([recordOf(sampleEvent(1))], 't');
    const [, entries] = decode(message.bytes) as [string, Uint8Array];
    // Entry = fixarray(2), then the EventTime: 2024-05-01T10:00:00.123456Z = 1714557600 s + 123456000 ns.
    assert.deepEqual([...entries.subarray(0, 11)], [0x92, 0xd7, 0x00, 0x66, 0x32, 0x12, 0xa0, 0x07, 0x5b, 0xca, 0x00]);
    assert.equal(0x663212a0, 1714557600);
    assert.equal(0x075bca00, 123456000);
  });

  it('gzip: CompressedPackedForward with compressed: "gzip" whose entries inflate to the same stream', async () => {
    const records = Array.from({ length: 50 }, (_, index) => recordOf(sampleEvent(index)));
    const plain = new PackedForwardEncoder({ compression: 'none', maxMessageBytes: 1024 * 1024, maxTagBytes: 10 });
    const gzip = new PackedForwardEncoder({ compression: 'gzip', maxMessageBytes: 1024 * 1024, maxTagBytes: 10 });
    const [plainMessage] = await plain.encode(records, 'kube.audit');
    const [gzipMessage] = await gzip.encode(records, 'kube.audit');
    const [, plainEntries] = decode(plainMessage.bytes) as [string, Uint8Array];
    const [tag, gzipEntries, option] = decode(gzipMessage.bytes) as [string, Uint8Array, Record<string, unknown>];
    assert.equal(tag, 'kube.audit');
    assert.deepEqual(option, { size: 50, chunk: gzipMessage.chunk, compressed: 'gzip' });
    assert.deepEqual(new Uint8Array(gunzipSync(gzipEntries)), new Uint8Array(plainEntries));
    assert.ok(gzipMessage.bytes.length < plainMessage.bytes.length / 3, 'gzip shrinks repetitive audit events');
  });

  it('splits a batch larger than maxMessageBytes into messages that each fit, in order, with distinct chunks', async () => {
    const records = Array.from({ length: 300 }, (_, index) => recordOf(sampleEvent(index)));
    const maxMessageBytes = 16 * 1024;
    const encoder = new PackedForwardEncoder({ compression: 'none', maxMessageBytes, maxTagBytes: 10 });
    const messages = await encoder.encode(records, 'kube.audit');
    assert.ok(messages.length > 5, `expected several messages, got ${messages.length}`);
    for (const message of messages) assert.ok(message.bytes.length <= maxMessageBytes, `${message.bytes.length} > ${maxMessageBytes}`);
    assert.equal(new Set(messages.map((message) => message.chunk)).size, messages.length);
    const auditIds = messages.flatMap((message) => {
      const [, entries] = decode(message.bytes) as [string, Uint8Array];
      return (decodeAll(entries) as [ExtData, { auditID: string }][]).map(([, record]) => record.auditID);
    });
    assert.deepEqual(auditIds, records.map((record) => record.event.auditID));
    assert.equal(messages.reduce((sum, message) => sum + message.entryCount, 0), 300);
  });

  it('sends an event larger than the cap alone in its own message rather than dropping it', async () => {
    const big = sampleEvent(2, { requestObject: { data: 'x'.repeat(40_000) } });
    const encoder = new PackedForwardEncoder({ compression: 'none', maxMessageBytes: 16 * 1024, maxTagBytes: 10 });
    const messages = await encoder.encode([recordOf(sampleEvent(1)), recordOf(big), recordOf(sampleEvent(3))], 'kube.audit');
    assert.deepEqual(messages.map((message) => message.entryCount), [1, 1, 1]);
    const [, entries] = decode(messages[1].bytes) as [string, Uint8Array];
    assert.deepEqual((decodeAll(entries)[0] as [ExtData, unknown])[1], big);
  });

  it('encodes deeply nested request objects that the default msgpack depth limit would refuse', async () => {
    let nested: Record<string, unknown> = { leaf: true };
    for (let depth = 0; depth < 150; depth++) nested = { child: nested };
    const encoder = new PackedForwardEncoder({ compression: 'none', maxMessageBytes: 1024 * 1024, maxTagBytes: 10 });
    const [message] = await encoder.encode([recordOf(sampleEvent(1, { requestObject: nested }))], 'kube.audit');
    assert.equal(message.entryCount, 1);
  });

  it('packs each record from its bytes alone: record.event is never read, and entries are what the encoder makes of JSON.parse', async () => {
    const lines = [
      JSON.stringify(sampleEvent(1)),
      `\uFEFF${JSON.stringify(sampleEvent(2, { note: 'é\u2028😀', n: [0, -0.5, 1e21, 2 ** 53] }))}`,
      // Left to JSON.parse by the transcoder: the last value wins, at the first key's place.
      '{"verb":"get","stageTimestamp":"2024-05-01T10:00:01Z","verb":"list"}',
      '{"requestReceivedTimestamp":"2024-05-01T12:00:00.5+02:00","1":"array-index key"}',
    ];
    const records: AuditRecord[] = lines.map((line, offset) => ({
      value: Buffer.from(line),
      get event(): never {
        throw new Error('the encoder read record.event');
      },
      origin: { path: 'audit.log', offset },
    }));
    const encoder = new PackedForwardEncoder({ compression: 'none', maxMessageBytes: 1024 * 1024, maxTagBytes: 10 });
    const [message] = await encoder.encode(records, 'kube.audit');
    const [, entries] = decode(message.bytes) as [string, Uint8Array];
    const reference = new Encoder();
    const expected = lines.map((line) => {
      const event = JSON.parse(line.replace(/^\uFEFF/, '')) as Record<string, unknown>;
      return Buffer.from(reference.encode(event)).toString('hex');
    });
    let at = 0;
    expected.forEach((map, index) => {
      assert.deepEqual([...entries.subarray(at, at + 3)], [0x92, 0xd7, 0x00], `entry ${index}: [EventTime, record]`);
      assert.equal(Buffer.from(entries.subarray(at + 11, at + 11 + map.length / 2)).toString('hex'), map, `entry ${index}: the event JSON.parse reads`);
      at += 11 + map.length / 2;
    });
    assert.equal(at, entries.length);
    const decoded = decodeAll(entries) as [ExtData, unknown][];
    const seconds = decoded.map(([time]) => new DataView((time.data as Uint8Array).buffer, (time.data as Uint8Array).byteOffset).getUint32(0));
    assert.deepEqual(seconds, [1714557600, 1714557600, 1714557601, 1714557600], 'EventTime from stageTimestamp, else requestReceivedTimestamp');
  });

  it('keeps the messages of concurrent gzip encodes apart (the entry buffer is shared)', async () => {
    const encoder = new PackedForwardEncoder({ compression: 'gzip', maxMessageBytes: 8 * 1024, maxTagBytes: 10 });
    const batches = [0, 1, 2].map((batch) => Array.from({ length: 40 }, (_, index) => recordOf(sampleEvent(batch * 1000 + index))));
    const results = await Promise.all(batches.map((records) => encoder.encode(records, 'kube.audit')));
    results.forEach((messages, batch) => {
      const auditIds = messages.flatMap((message) => {
        const [, entries] = decode(message.bytes) as [string, Uint8Array];
        return (decodeAll(gunzipSync(entries)) as [ExtData, { auditID: string }][]).map(([, record]) => record.auditID);
      });
      assert.deepEqual(auditIds, batches[batch].map((record) => record.event.auditID));
    });
  });
});
