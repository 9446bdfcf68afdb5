import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { KafkaMessageBuilder, type MessageHeader } from '../../../../src/sinks/kafka/kafka-message.js';
import type { HeaderChoice, MessageKeyChoice } from '../../../../src/sinks/kafka/kafka-sink-config.js';
import type { AuditRecord } from '../../../../src/pipeline/audit-record.js';
import { HEADER_CHOICES } from '../../../../src/sinks/kafka/kafka-sink-config.js';
import { decodeLine } from '../../../../src/pipeline/decoder.js';
import { LineRecord } from '../../../../src/pipeline/line-record.js';
import { jsonLinesCorpusFiles, rawLines } from '../../../helpers/corpus.js';
import { podEvent, recordOf } from './kafka-test-records.js';

const require = createRequire(import.meta.url);
// kafkajs' own record encoder: the size estimate is checked against the bytes kafkajs really writes.
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: {
  key: Buffer | string | null;
  value: Buffer;
  headers: Record<string, string>;
  offsetDelta: number;
  timestampDelta: number;
}) => { buffer: Buffer };

function toKafkaMessage(record: AuditRecord, key: MessageKeyChoice, headers: readonly HeaderChoice[]) {
  return new KafkaMessageBuilder(key, headers).build(record);
}

/** Header values as text, to compare with what the event holds. */
function headerTexts(headers: MessageHeader[] | undefined): Array<Record<string, string>> | undefined {
  return headers?.map((header) => Object.fromEntries(Object.entries(header).map(([name, value]) => [name, value.toString('utf8')])));
}

/**
 * The key and headers of a scanned line (with and without the nested member table the scanner
 * notes when processors run) equal those of the line's parsed event.
 */
function assertSameFromLineAndEvent(builders: readonly KafkaMessageBuilder[], line: Buffer): void {
  const parsed = recordOf(JSON.parse(line.toString('utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>);
  for (const keep of ['members', 'members and nested'] as const) {
    const decoded = decodeLine(line, keep);
    assert.equal(decoded.kind, 'event');
    if (decoded.kind !== 'event') continue;
    const scanned = LineRecord.scanned(line, decoded.members, { path: 'audit.log', offset: 0 }, decoded.nested);
    assert.ok(scanned.scannedLine() !== undefined);
    for (const builder of builders) {
      const fromLine = builder.build(scanned).message;
      const fromParsed = builder.build(parsed).message;
      assert.deepEqual([fromLine.key, fromLine.headers], [fromParsed.key, fromParsed.headers], `${keep}: ${line.toString('utf8').slice(0, 200)}`);
    }
  }
}

describe('Kafka message for an audit record', () => {
  it('carries the record value bytes untouched', () => {
    const record = recordOf(podEvent());
    const { message } = toKafkaMessage(record, 'auditID', HEADER_CHOICES);
    assert.equal(message.value, record.value);
  });

  it('is keyed by auditID, namespace or user name as configured', () => {
    const record = recordOf(podEvent());
    assert.equal(toKafkaMessage(record, 'auditID', []).message.key, '6d1c1b4e-4f0a-4f5e-9a36-1f3f5b7b0c11');
    assert.equal(toKafkaMessage(record, 'namespace', []).message.key, 'payments');
    assert.equal(toKafkaMessage(record, 'user', []).message.key, 'system:serviceaccount:payments:deployer');
    assert.equal(toKafkaMessage(record, 'none', []).message.key, null);
  });

  it('has no key when the event lacks the key field (cluster-scoped request keyed by namespace)', () => {
    const record = recordOf(podEvent({ objectRef: { resource: 'nodes', name: 'node-1' } }));
    assert.equal(toKafkaMessage(record, 'namespace', []).message.key, null);
  });

  it('copies the configured fields into headers and leaves out fields the event lacks', () => {
    const record = recordOf(podEvent({ objectRef: { resource: 'nodes', name: 'node-1' } }));
    const { message } = toKafkaMessage(record, 'auditID', HEADER_CHOICES);
    assert.deepEqual(headerTexts(message.headers), [{ stage: 'ResponseComplete' }, { verb: 'get' }, { resource: 'nodes' }, { level: 'Metadata' }]);
    assert.deepEqual(headerTexts(toKafkaMessage(record, 'auditID', ['verb']).message.headers), [{ verb: 'get' }]);
    assert.equal(toKafkaMessage(record, 'auditID', []).message.headers, undefined);
  });

  it('gives header values as UTF-8 bytes, multi-byte text included, and the same header object for the same value', () => {
    const builder = new KafkaMessageBuilder('auditID', ['namespace']);
    const first = builder.build(recordOf(podEvent({ objectRef: { resource: 'configmaps', namespace: 'ñamespace-🚀' } }))).message.headers!;
    const second = builder.build(recordOf(podEvent({ objectRef: { resource: 'pods', namespace: 'ñamespace-🚀' } }))).message.headers!;
    assert.deepEqual(first[0]!.namespace, Buffer.from('ñamespace-🚀', 'utf8'));
    assert.equal(second[0], first[0]);
  });

  it('takes the same key and headers from the bytes of a scanned line as from its parsed event, for every corpus event', () => {
    const builders = (['auditID', 'namespace', 'user'] as const).map((key) => new KafkaMessageBuilder(key, HEADER_CHOICES));
    for (const line of jsonLinesCorpusFiles().flatMap(rawLines)) assertSameFromLineAndEvent(builders, line);
  });

  it('reads the same key and headers from a line as from its event where the fields are escaped, repeated, empty or not strings', () => {
    const builders = (['auditID', 'namespace', 'user'] as const).map((key) => new KafkaMessageBuilder(key, HEADER_CHOICES));
    const lines = [
      '{"auditID":"a\\u0041\\"b","stage":"Response\\u0043omplete","verb":"get","objectRef":{"resource":"pods","namespace":"n\\u00e9"}}',
      '{"auditID":"first","auditID":"second","objectRef":{"namespace":"one","namespace":"two"},"objectRef":{"resource":"nodes"}}',
      '{"auditID":7,"stage":null,"verb":["get"],"level":{"a":"b"},"objectRef":"pods","user":{"username":{"name":"x"}}}',
      '{"objectRef":{},"user":{},"level":"Metadata"}',
      '{"objectRef":[{"namespace":"n"}],"user":null}',
      '{"objectRef":{"namespace":"ñ-🚀","resource":"configmaps"},"user":{"groups":["a"],"username":"ユーザー"}}',
      '{ "auditID" : "spaced" , "objectRef" : { "namespace" : "ns" , "resource" : "pods" } }',
      '{}',
    ];
    for (const line of lines) assertSameFromLineAndEvent(builders, Buffer.from(line));
  });

  it('estimates at least the bytes kafkajs encodes for the record, multi-byte text included', () => {
    const events = [
      podEvent(),
      podEvent({ user: { username: 'ユーザー-ü-🚀' }, objectRef: { resource: 'configmaps', namespace: 'ñamespace' } }),
      podEvent({ requestObject: { data: 'x'.repeat(300_000) } }),
      { auditID: '', stage: '' },
    ];
    for (const event of events) {
      for (const key of ['auditID', 'user', 'none'] as const) {
        const { message, bytes } = toKafkaMessage(recordOf(event), key, HEADER_CHOICES);
        const encoded = encodeRecord({
          key: message.key as string | null,
          value: message.value,
          headers: Object.assign({}, ...(headerTexts(message.headers) ?? [])) as Record<string, string>,
          offsetDelta: 2_000_000,
          timestampDelta: 86_400_000,
        });
        assert.ok(bytes >= encoded.buffer.length, `estimate ${bytes} < encoded ${encoded.buffer.length} (key ${key})`);
        assert.ok(bytes - encoded.buffer.length <= 100, `estimate ${bytes} is far above encoded ${encoded.buffer.length}`);
      }
    }
  });
});
