import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { toKafkaMessage, type SizedMessage } from '../../../../src/sinks/kafka/kafka-message.js';
import { HEADER_CHOICES } from '../../../../src/sinks/kafka/kafka-sink-config.js';
import { recordBytesLimit, splitByBytes } from '../../../../src/sinks/kafka/produce-request-splitter.js';
import { AuditEventFactory } from '../../../helpers/audit-event-factory.js';
import { podEvent, recordOf } from './kafka-test-records.js';

const require = createRequire(import.meta.url);
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: object) => unknown;
const { RecordBatch: encodeRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (batch: { records: unknown[]; lastOffsetDelta: number }) => Promise<{ buffer: Buffer }>;
};

/** The record batch kafkajs would put in a produce request for these messages, as the broker measures it. */
async function encodedBatchBytes(group: SizedMessage[]): Promise<number> {
  const records = group.map(({ message }, offsetDelta) =>
    encodeRecord({ key: message.key, value: message.value, headers: message.headers, offsetDelta, timestampDelta: 0 }),
  );
  const batch = await encodeRecordBatch({ records, lastOffsetDelta: records.length - 1 });
  return batch.buffer.length;
}

function sized(bytes: number): { bytes: number } {
  return { bytes };
}

describe('splitting a batch into produce requests by bytes', () => {
  it('keeps the order and starts a new group only when the next item would pass the limit', () => {
    const items = [sized(40), sized(50), sized(10), sized(90), sized(5), sized(5)];
    const groups = splitByBytes(items, (item) => item.bytes, 100);
    assert.deepEqual(
      groups.map((group) => group.map((item) => item.bytes)),
      [[40, 50, 10], [90, 5, 5]],
    );
  });

  it('puts an item larger than the limit in a group of its own', () => {
    const groups = splitByBytes([sized(10), sized(500), sized(10)], (item) => item.bytes, 100);
    assert.deepEqual(
      groups.map((group) => group.map((item) => item.bytes)),
      [[10], [500], [10]],
    );
  });

  it('returns no group for no items', () => {
    assert.deepEqual(splitByBytes([], () => 1, 100), []);
  });

  it('never lets kafkajs encode a record batch above max message bytes, with realistic events', async () => {
    const maxMessageBytes = 64 * 1024;
    const factory = new AuditEventFactory({ seed: 7, requestResponseFraction: 0.2, largeListFraction: 0 });
    const messages: SizedMessage[] = [];
    for (let index = 0; index < 3000; index++) {
      const line = factory.nextLine();
      messages.push(toKafkaMessage(recordOf(JSON.parse(line)), 'auditID', HEADER_CHOICES));
    }
    const limit = recordBytesLimit(maxMessageBytes);
    const groups = splitByBytes(messages.filter((message) => message.bytes <= limit), (message) => message.bytes, limit);
    assert.ok(groups.length > 10, `only ${groups.length} groups: the test does not exercise splitting`);
    let fullest = 0;
    for (const group of groups) {
      const bytes = await encodedBatchBytes(group);
      assert.ok(bytes <= maxMessageBytes, `a group encodes to ${bytes} bytes, above ${maxMessageBytes}`);
      fullest = Math.max(fullest, bytes);
    }
    assert.ok(fullest > maxMessageBytes * 0.9, `groups are needlessly small (fullest ${fullest} bytes)`);
  });

  it('counts the batch header: one record of exactly the limit still fits in max message bytes', async () => {
    const maxMessageBytes = 4096;
    const base = toKafkaMessage(recordOf(podEvent({ pad: '' })), 'auditID', HEADER_CHOICES);
    const padding = recordBytesLimit(maxMessageBytes) - base.bytes;
    const message = toKafkaMessage(recordOf(podEvent({ pad: 'p'.repeat(padding) })), 'auditID', HEADER_CHOICES);
    assert.equal(message.bytes, recordBytesLimit(maxMessageBytes));
    assert.ok((await encodedBatchBytes([message])) <= maxMessageBytes);
  });
});
