import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { toKafkaMessage } from '../../../../src/sinks/kafka/kafka-message.js';
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
    assert.deepEqual(message.headers, [{ stage: 'ResponseComplete' }, { verb: 'get' }, { resource: 'nodes' }, { level: 'Metadata' }]);
    assert.deepEqual(toKafkaMessage(record, 'auditID', ['verb']).message.headers, [{ verb: 'get' }]);
    assert.equal(toKafkaMessage(record, 'auditID', []).message.headers, undefined);
  });

  it('takes the same key and headers from a lazily parsed line as from the parsed event, for every corpus event', () => {
    for (const line of jsonLinesCorpusFiles().flatMap(rawLines)) {
      const decoded = decodeLine(line);
      assert.equal(decoded.kind, 'event');
      const lazy = LineRecord.scanned(line, decoded.kind === 'event' ? decoded.members : undefined, { path: 'audit.log', offset: 0 });
      const parsed = recordOf(JSON.parse(line.toString('utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>);
      for (const key of ['auditID', 'namespace', 'user'] as const) {
        const fromLazy = toKafkaMessage(lazy, key, HEADER_CHOICES).message;
        const fromParsed = toKafkaMessage(parsed, key, HEADER_CHOICES).message;
        assert.deepEqual([fromLazy.key, fromLazy.headers], [fromParsed.key, fromParsed.headers]);
      }
    }
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
          headers: Object.assign({}, ...(message.headers ?? [])) as Record<string, string>,
          offsetDelta: 2_000_000,
          timestampDelta: 86_400_000,
        });
        assert.ok(bytes >= encoded.buffer.length, `estimate ${bytes} < encoded ${encoded.buffer.length} (key ${key})`);
        assert.ok(bytes - encoded.buffer.length <= 100, `estimate ${bytes} is far above encoded ${encoded.buffer.length}`);
      }
    }
  });
});
