import type { Logger } from 'winston';
import type { AuditRecord } from '../../pipeline/audit-record.js';
import type { DeadLetterFile } from '../../pipeline/dead-letter.js';
import { auditIdOf } from '../../audit/event-fields.js';
import { truncateLargeObjects } from '../../audit/truncate-large-objects.js';
import type { SizedMessage } from './kafka-message.js';
import type { KafkaOversizePolicy } from './kafka-sink-config.js';
import type { KafkaSinkMetrics } from './kafka-sink-metrics.js';

/**
 * Applies the oversize policy to an event whose message would not fit in one produce request.
 * Every outcome is counted and logged, and none of them blocks the stream:
 * - truncate: requestObject/responseObject are replaced by size markers (with an annotation)
 *   until the event fits; if it still does not fit it goes to the dead-letter file.
 * - dead-letter: the event is written, unchanged, to the dead-letter file.
 * Dead letters are only collected by `fit`; the sink has them written (and counted) once the rest
 * of the batch is acknowledged, so a failed send does not write them twice.
 */
export class OversizeEvents {
  constructor(
    private readonly policy: KafkaOversizePolicy,
    private readonly toMessage: (record: AuditRecord) => SizedMessage,
    private readonly deadLetterFile: DeadLetterFile,
    private readonly metrics: KafkaSinkMetrics,
    private readonly logger: Logger,
  ) {}

  /**
   * The message to produce for `record` within `limitBytes`, or undefined when the record was
   * set aside (added to `deadLetters`).
   */
  fit(record: AuditRecord, message: SizedMessage, limitBytes: number, deadLetters: AuditRecord[]): SizedMessage | undefined {
    const details = {
      auditID: auditIdOf(record.event),
      file: record.origin.path,
      offset: record.origin.offset,
      messageBytes: message.bytes,
      limitBytes,
    };
    if (this.policy === 'truncate') {
      const framingBytes = message.bytes - record.value.length;
      const truncated = this.toMessage(truncateLargeObjects(record, limitBytes - framingBytes));
      if (truncated.bytes <= limitBytes) {
        this.metrics.oversizeEvents.inc({ outcome: 'truncated' });
        this.logger.warn('event too large for one Kafka produce request: shipped with its large objects truncated', {
          ...details,
          shippedBytes: truncated.bytes,
        });
        return truncated;
      }
    }
    deadLetters.push(record);
    return undefined;
  }

  /** Writes the set-aside events durably (fsync) before their batch counts as delivered; counts and logs them then. */
  writeDeadLetters(records: readonly AuditRecord[]): void {
    const deadLetterFile = this.deadLetterFile;
    if (records.length === 0) return;
    for (const record of records) {
      deadLetterFile.write({
        file: record.origin.path,
        offset: record.origin.offset,
        reason: 'larger than --kafka-max-message-bytes',
        line: record.value,
        originalBytes: record.value.length,
      });
    }
    deadLetterFile.sync();
    for (const record of records) {
      this.metrics.oversizeEvents.inc({ outcome: 'dead_lettered' });
      this.logger.warn(`event too large for one Kafka produce request: written to ${deadLetterFile.path}`, {
        auditID: auditIdOf(record.event),
        file: record.origin.path,
        offset: record.origin.offset,
        bytes: record.value.length,
      });
    }
  }
}
