import type { PendingCommit } from '../checkpoint/commit-tracker.js';
import type { AuditRecord, Batch } from './audit-record.js';

export interface BatcherOptions<F> {
  maxEvents: number;
  maxBytes: number;
  lingerMs: number;
  /** Receives each sealed batch with the positions its lines reached. */
  onSeal(batch: Batch, commit: PendingCommit<F>): void;
}

/**
 * Groups records into batches by count, bytes and linger time. Lines that are handled without
 * being shipped (dropped, dead-lettered, blank) still move their file's position in the open
 * batch, so they are committed in order with the lines around them.
 */
export class Batcher<F> {
  private records: AuditRecord[] = [];
  private bytes = 0;
  private readBytes = 0;
  private positions = new Map<F, number>();
  private oldestAtMs: number | undefined;
  private lingerTimer?: NodeJS.Timeout;
  private nextId = 1;

  constructor(private readonly options: BatcherOptions<F>) {}

  /** True when nothing is waiting to be sealed. */
  get empty(): boolean {
    return this.positions.size === 0;
  }

  /** When the oldest line of the open batch was written, epoch ms; undefined when it is empty. */
  get oldestOpenAtMs(): number | undefined {
    return this.oldestAtMs;
  }

  /** Adds a record to ship; its line ends at `endOffset` in `file` and took `lineBytes` on disk. */
  add(record: AuditRecord, file: F, endOffset: number, lineBytes: number): void {
    if (
      this.records.length > 0 &&
      (this.records.length >= this.options.maxEvents || this.bytes + record.value.length > this.options.maxBytes)
    ) {
      this.seal();
    }
    // One timestamp per batch, from its first event: what the lag in seconds is measured from.
    this.oldestAtMs ??= eventTime(record) ?? Date.now();
    this.records.push(record);
    this.bytes += record.value.length;
    this.advance(file, endOffset, lineBytes);
  }

  /** Moves the position past a line that was handled without being shipped. */
  advance(file: F, endOffset: number, lineBytes: number): void {
    this.oldestAtMs ??= Date.now();
    this.positions.set(file, endOffset);
    this.readBytes += lineBytes;
    if (this.records.length >= this.options.maxEvents) {
      this.seal();
      return;
    }
    this.lingerTimer ??= setTimeout(() => this.seal(), this.options.lingerMs);
  }

  /** Seals the open batch now (shutdown, caught up). */
  seal(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.positions.size === 0) return;
    const batch: Batch = { id: this.nextId++, records: this.records, bytes: this.bytes };
    const commit: PendingCommit<F> = {
      id: batch.id,
      positions: this.positions,
      readBytes: this.readBytes,
      oldestAtMs: this.oldestAtMs ?? Date.now(),
    };
    this.oldestAtMs = undefined;
    this.records = [];
    this.bytes = 0;
    this.readBytes = 0;
    this.positions = new Map();
    this.options.onSeal(batch, commit);
  }
}

/** The event's stageTimestamp (when the apiserver wrote it), if it has a valid one. */
function eventTime(record: AuditRecord): number | undefined {
  const stamp = record.event.stageTimestamp;
  if (typeof stamp !== 'string') return undefined;
  const time = Date.parse(stamp);
  return Number.isNaN(time) ? undefined : time;
}
