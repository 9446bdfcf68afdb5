/**
 * In-order commit over batches that are acknowledged out of order. Each sealed batch carries the
 * positions its lines reached; a position is applied only when its batch and every batch sealed
 * before it are acknowledged, so a checkpoint never passes an unacknowledged line.
 */
export interface PendingCommit<F> {
  id: number;
  /** For each file the batch touched: the offset just past its last line in the batch. */
  positions: Map<F, number>;
  /** Bytes read for this batch (shipped or not): released from the in-flight budget on commit. */
  readBytes: number;
  /** When its oldest line was written (its event's stageTimestamp, or when it was read), epoch ms. */
  oldestAtMs: number;
}

export class CommitTracker<F> {
  private readonly pending: PendingCommit<F>[] = [];
  private readonly acknowledged = new Set<number>();
  private uncommittedBytes = 0;

  constructor(private readonly apply: (file: F, offset: number) => void) {}

  /** Bytes read and not yet committed: the in-flight budget reading is held to. */
  get inflightBytes(): number {
    return this.uncommittedBytes;
  }

  /** When the oldest line not yet committed was written, epoch ms; undefined when none is pending. */
  get oldestPendingAtMs(): number | undefined {
    return this.pending[0]?.oldestAtMs;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Registers a batch in the order it was sealed. */
  sealed(commit: PendingCommit<F>): void {
    this.pending.push(commit);
  }

  /** Counts bytes as soon as they are read, before their batch is sealed. */
  read(bytes: number): void {
    this.uncommittedBytes += bytes;
  }

  /** Marks a batch acknowledged and commits every batch now at the head of the line. */
  acknowledge(id: number): void {
    this.acknowledged.add(id);
    while (this.pending.length > 0 && this.acknowledged.has(this.pending[0]!.id)) {
      const head = this.pending.shift()!;
      this.acknowledged.delete(head.id);
      this.uncommittedBytes -= head.readBytes;
      for (const [file, offset] of head.positions) this.apply(file, offset);
    }
  }
}
