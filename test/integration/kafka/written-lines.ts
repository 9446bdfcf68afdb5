import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { AuditEventFactory } from '../../helpers/audit-event-factory.js';
import type { LumberjackWriter } from '../../helpers/lumberjack-writer.js';
import { auditKeyOf } from './topic-reader.js';

/** Lines written so far, by `auditID/stage`, to compare what Kafka holds byte for byte. */
export class WrittenLines {
  readonly byKey = new Map<string, string>();

  constructor(
    readonly writer: LumberjackWriter,
    private readonly factory: AuditEventFactory,
  ) {}

  /** Writes one event made from the first written one with `changes` applied, and returns it. */
  writeVariant(changes: Record<string, unknown>): Record<string, unknown> {
    const event = { ...JSON.parse(this.byKey.values().next().value!), ...changes };
    const line = JSON.stringify(event);
    this.byKey.set(auditKeyOf(Buffer.from(line)), line);
    this.writer.write(line);
    return event;
  }

  /** Writes a `kubectl exec` into a pod (a detection rule matches it) with the given auditID, and returns it. */
  writePodExec(auditID: string): Record<string, unknown> {
    return this.writeVariant({
      auditID,
      stage: 'ResponseComplete',
      verb: 'create',
      objectRef: { resource: 'pods', subresource: 'exec', namespace: 'payments', name: 'api-7d9', apiVersion: 'v1' },
      responseStatus: { code: 101 },
    });
  }

  /** Writes `count` lines in bursts, yielding so the lumberjack mill and the test's consumer run meanwhile. */
  async write(count: number, burst = 1000): Promise<void> {
    for (let written = 0; written < count; written += burst) {
      const lines = this.factory.lines(Math.min(burst, count - written));
      for (const line of lines) this.byKey.set(auditKeyOf(Buffer.from(line)), line);
      this.writer.writeMany(lines);
      await yieldToEventLoop();
    }
  }
}
