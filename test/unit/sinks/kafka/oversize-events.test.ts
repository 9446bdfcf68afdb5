import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import winston from 'winston';
import type { AuditRecord } from '../../../../src/pipeline/audit-record.js';
import { DeadLetterFile } from '../../../../src/pipeline/dead-letter.js';
import { TRUNCATED_ANNOTATION } from '../../../../src/audit/truncate-large-objects.js';
import { KafkaMessageBuilder } from '../../../../src/sinks/kafka/kafka-message.js';
import type { KafkaOversizePolicy } from '../../../../src/sinks/kafka/kafka-sink-config.js';
import { KafkaSinkMetrics } from '../../../../src/sinks/kafka/kafka-sink-metrics.js';
import { OversizeEvents } from '../../../../src/sinks/kafka/oversize-events.js';
import { podEvent, recordOf } from './kafka-test-records.js';

const LIMIT = 8 * 1024;

function setUp(policy: KafkaOversizePolicy) {
  const registry = new Registry();
  const metrics = new KafkaSinkMetrics(registry);
  const directory = mkdtempSync(path.join(tmpdir(), 'kafka-oversize-'));
  const deadLetterFile = new DeadLetterFile(directory);
  const logger = winston.createLogger({ silent: true });
  const builder = new KafkaMessageBuilder('auditID', ['verb']);
  const toMessage = (record: AuditRecord) => builder.build(record);
  const oversize = new OversizeEvents(policy, toMessage, deadLetterFile, metrics, logger);
  const outcomes = async () =>
    Object.fromEntries((await metrics.oversizeEvents.get()).values.map((value) => [value.labels.outcome, value.value]));
  return { oversize, toMessage, deadLetterFile, directory, outcomes };
}

describe('oversize events in the Kafka sink', () => {
  const huge = recordOf(podEvent({ level: 'RequestResponse', responseObject: { items: 'x'.repeat(50_000) } }), 4242);

  it('truncate: ships the event with its large body replaced and an annotation, within the limit', async () => {
    const { oversize, toMessage, outcomes } = setUp('truncate');
    const deadLetters: AuditRecord[] = [];
    const shipped = oversize.fit(huge, toMessage(huge), LIMIT, deadLetters);
    assert.ok(shipped !== undefined);
    assert.ok(shipped.bytes <= LIMIT);
    const event = JSON.parse((shipped.message.value as Buffer).toString());
    assert.equal(event.auditID, podEvent().auditID);
    assert.equal(event.responseObject[TRUNCATED_ANNOTATION], true);
    assert.match(event.annotations[TRUNCATED_ANNOTATION], /responseObject replaced/);
    assert.equal(shipped.message.key, podEvent().auditID);
    assert.deepEqual(deadLetters, []);
    assert.deepEqual(await outcomes(), { truncated: 1, dead_lettered: 0 });
  });

  it('truncate: an event that still does not fit goes to the dead-letter file when one is set', async () => {
    const hugeAnnotations = recordOf(podEvent({ annotations: { note: 'n'.repeat(20_000) } }));
    const { oversize, toMessage, outcomes } = setUp('truncate');
    const deadLetters: AuditRecord[] = [];
    assert.equal(oversize.fit(hugeAnnotations, toMessage(hugeAnnotations), LIMIT, deadLetters), undefined);
    assert.deepEqual(deadLetters, [hugeAnnotations]);
    assert.deepEqual(await outcomes(), { truncated: 0, dead_lettered: 0 }, 'counted before it was written');
    oversize.writeDeadLetters(deadLetters);
    assert.deepEqual(await outcomes(), { truncated: 0, dead_lettered: 1 });
  });

  it('dead-letter: writes the original line with its origin, only when asked after the batch was acknowledged', () => {
    const { oversize, toMessage, deadLetterFile, directory } = setUp('dead-letter');
    const deadLetters: AuditRecord[] = [];
    assert.equal(oversize.fit(huge, toMessage(huge), LIMIT, deadLetters), undefined);
    const file = path.join(directory, 'dead-letter.jsonl');
    assert.equal(existsSync(file), false, 'written before the batch was acknowledged');
    oversize.writeDeadLetters(deadLetters);
    deadLetterFile.close();
    const [entry] = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(entry.line, huge.value.toString());
    assert.equal(entry.offset, 4242);
    assert.equal(entry.file, '/var/log/kubernetes/audit.log');
    assert.match(entry.reason, /--kafka-max-message-bytes/);
  });
});
