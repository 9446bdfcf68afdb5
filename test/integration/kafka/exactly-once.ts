import assert from 'node:assert/strict';
import { AgentWorkspace } from '../../helpers/agent-fixture.js';
import { AuditEventFactory } from '../../helpers/audit-event-factory.js';
import { LumberjackWriter } from '../../helpers/lumberjack-writer.js';
import type { AgentProcess } from '../../helpers/agent-process.js';
import { startKafkaAgent } from './kafka-agent.js';
import type { JavaReadRecord } from './kafka-broker.js';
import { auditKeyOf } from './topic-reader.js';
import { WrittenLines } from './written-lines.js';

/**
 * The agent in exactly-once mode, committing to `checkpointTopic` under `transactionalId`.
 * Processors off unless asked for: redaction and detection annotations would (rightly) change
 * some values, which the tests compare with the log lines byte for byte.
 */
export function startExactlyOnceAgent(
  workspace: AgentWorkspace,
  bootstrap: string,
  topics: { events: string; checkpoints: string },
  transactionalId: string,
  extra: string[] = [],
  options: { processors?: boolean } = {},
): AgentProcess {
  return startKafkaAgent(workspace, bootstrap, topics.events, [
    '--kafka-delivery', 'exactly-once',
    '--kafka-transactional-id', transactionalId,
    '--kafka-checkpoint-topic', topics.checkpoints,
    ...(options.processors ? [] : ['--no-redaction', '--no-detections']),
    ...extra,
  ]);
}

/** A workspace whose audit log rotates every 2 MiB with gzip, and the record of the lines written to it. */
export function rotatingLog(seed: number): { workspace: AgentWorkspace; writer: LumberjackWriter; written: WrittenLines } {
  const workspace = new AgentWorkspace();
  const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 2 * 1024 ** 2, compress: true, maxBackups: 0 });
  return { workspace, writer, written: new WrittenLines(writer, new AuditEventFactory({ seed, requestResponseFraction: 0.01 })) };
}

/** How often each `auditID/stage` is in the records read. */
export function countsByKey(records: readonly JavaReadRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) {
    const key = auditKeyOf(record.value);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * Every written event is in the records exactly once, byte-identical to its line, and nothing
 * else is: the verdict on what a read_committed consumer saw.
 */
export function assertExactlyOnce(records: readonly JavaReadRecord[], written: WrittenLines): void {
  const counts = countsByKey(records);
  const missing = [...written.byKey.keys()].filter((key) => !counts.has(key));
  const twice = [...counts].filter(([, count]) => count > 1);
  const unknown = [...counts.keys()].filter((key) => !written.byKey.has(key));
  assert.deepEqual(
    { missing: missing.length, duplicated: twice.length, unknown: unknown.length },
    { missing: 0, duplicated: 0, unknown: 0 },
    `read_committed: first missing ${missing.slice(0, 3).join(' ')}; first duplicated ${twice.slice(0, 3).map(([key, count]) => `${key}×${count}`).join(' ')}`,
  );
  for (const record of records) {
    assert.ok(record.value.equals(Buffer.from(written.byKey.get(auditKeyOf(record.value))!)), `value differs from the log line for ${auditKeyOf(record.value)}`);
  }
}

/** Records beyond one per `auditID/stage`: what at-least-once would have left to dedupe. */
export function duplicatesIn(records: readonly JavaReadRecord[]): number {
  return records.length - countsByKey(records).size;
}
