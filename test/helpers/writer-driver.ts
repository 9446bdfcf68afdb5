import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { AuditEventFactory } from './audit-event-factory.js';
import type { LumberjackWriter } from './lumberjack-writer.js';
import { recordKey } from './sink-output.js';

/** Writes `total` events in bursts, yielding between bursts so the mill and the agent run meanwhile. */
export async function writeInBursts(
  writer: LumberjackWriter,
  factory: AuditEventFactory,
  total: number,
  burst = 500,
): Promise<void> {
  for (let written = 0; written < total; written += burst) {
    writer.writeMany(factory.lines(Math.min(burst, total - written)));
    await yieldToEventLoop();
  }
}

export function writtenKeys(writer: LumberjackWriter): string[] {
  return writer.lines.map((line) => recordKey(line.auditId, line.stage));
}
