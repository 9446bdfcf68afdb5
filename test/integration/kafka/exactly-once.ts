import assert from 'node:assert/strict';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { AgentWorkspace } from '../../helpers/agent-fixture.js';
import type { AgentProcess } from '../../helpers/agent-process.js';
import type { AuditEventFactory } from '../../helpers/audit-event-factory.js';
import type { LumberjackWriter } from '../../helpers/lumberjack-writer.js';
import { startKafkaAgent } from './kafka-agent.js';
import type { JavaReadRecord } from './kafka-broker.js';
import { auditKeyOf } from './topic-reader.js';

/**
 * The agent in exactly-once mode, committing to `checkpointTopic` under `transactionalId`.
 * Processors off: redaction and detection annotations would (rightly) change some values, which
 * the tests compare with the log lines byte for byte.
 */
export function startExactlyOnceAgent(
  workspace: AgentWorkspace,
  bootstrap: string,
  topics: { events: string; checkpoints: string },
  transactionalId: string,
  extra: string[] = [],
): AgentProcess {
  return startKafkaAgent(workspace, bootstrap, topics.events, [
    '--kafka-delivery', 'exactly-once',
    '--kafka-transactional-id', transactionalId,
    '--kafka-checkpoint-topic', topics.checkpoints,
    '--no-redaction', '--no-detections',
    ...extra,
  ]);
}

/** The lines a test wrote, by `auditID/stage`, to hold what a topic holds against. */
export class WrittenEvents {
  readonly byKey = new Map<string, string>();

  constructor(
    private readonly writer: LumberjackWriter,
    private readonly factory: AuditEventFactory,
  ) {}

  /** Writes `count` lines in bursts, yielding so the lumberjack mill (rotation, gzip) runs meanwhile. */
  async write(count: number, burst = 500): Promise<void> {
    for (let written = 0; written < count; written += burst) {
      const lines = this.factory.lines(Math.min(burst, count - written));
      for (const line of lines) this.byKey.set(auditKeyOf(Buffer.from(line)), line);
      this.writer.writeMany(lines);
      await yieldToEventLoop();
    }
  }
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
export function assertExactlyOnce(records: readonly JavaReadRecord[], written: WrittenEvents): void {
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
