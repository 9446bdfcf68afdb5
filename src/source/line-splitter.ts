/**
 * Cuts a byte stream into lines without converting to strings, keeping each line's exact byte
 * range so checkpoints can point just past the last complete line.
 *
 * A line longer than `maxLineBytes` is still collected (the oversize policy needs it whole), up to
 * `hardCapBytes`; past that its bytes are counted but not kept, so one runaway line cannot exhaust
 * memory. Such a line is delivered with `clipped` set.
 */
export interface Line {
  /** The line's bytes without the newline (and without a trailing carriage return). */
  bytes: Buffer;
  /** Offset of the line's first byte. */
  start: number;
  /** Offset just past the line's newline: where a checkpoint may point once the line is handled. */
  end: number;
  /** Longer than maxLineBytes. */
  oversize: boolean;
  /** Longer than hardCapBytes: `bytes` holds only the first hardCapBytes. */
  clipped: boolean;
}

export type LineConsumer = (line: Line) => void;

export class LineSplitter {
  /** Pieces of the line that is not complete yet. */
  private carried: Buffer[] = [];
  private carriedBytes = 0;
  /** Bytes of the incomplete line, counting those dropped past the hard cap. */
  private pendingLength = 0;
  /** Offset of the first byte not yet part of a complete line. */
  private lineStart: number;

  constructor(
    private readonly maxLineBytes: number,
    private readonly hardCapBytes: number,
    startOffset: number,
  ) {
    this.lineStart = startOffset;
  }

  /** Offset just past the last complete line delivered. */
  get completeOffset(): number {
    return this.lineStart;
  }

  /** Bytes of the incomplete last line held back (not shipped, not checkpointed). */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  /** Feeds the next chunk of the file, which must start where the previous one ended. */
  push(chunk: Buffer, consume: LineConsumer): void {
    let position = 0;
    while (position < chunk.length) {
      const newline = chunk.indexOf(0x0a, position);
      if (newline < 0) {
        this.carry(chunk.subarray(position));
        return;
      }
      const piece = chunk.subarray(position, newline);
      const length = this.pendingLength + piece.length;
      const start = this.lineStart;
      let bytes: Buffer;
      if (this.pendingLength === 0) {
        bytes = piece;
      } else {
        this.carry(piece);
        bytes = this.carriedBytes === this.carried[0]!.length ? this.carried[0]! : Buffer.concat(this.carried, this.carriedBytes);
      }
      this.resetCarry();
      this.lineStart = start + length + 1;
      position = newline + 1;
      consume(makeLine(bytes, start, this.lineStart, length, this.maxLineBytes));
    }
  }

  /**
   * Delivers the incomplete last line as a line of its own. Only for a file that can no longer
   * grow (rotated away and read to its end): its last bytes would otherwise never be handled.
   */
  flushFinalLine(consume: LineConsumer): void {
    if (this.pendingLength === 0) return;
    const start = this.lineStart;
    const length = this.pendingLength;
    const bytes = Buffer.concat(this.carried, this.carriedBytes);
    this.resetCarry();
    this.lineStart = start + length;
    consume(makeLine(bytes, start, this.lineStart, length, this.maxLineBytes));
  }

  private carry(piece: Buffer): void {
    this.pendingLength += piece.length;
    const room = this.hardCapBytes - this.carriedBytes;
    if (room <= 0) return;
    // Copy: the chunk buffer is reused or released by the reader.
    const kept = Buffer.from(piece.subarray(0, Math.min(room, piece.length)));
    this.carried.push(kept);
    this.carriedBytes += kept.length;
  }

  private resetCarry(): void {
    this.carried = [];
    this.carriedBytes = 0;
    this.pendingLength = 0;
  }
}

function makeLine(bytes: Buffer, start: number, end: number, length: number, maxLineBytes: number): Line {
  const clipped = bytes.length < length;
  const trimmed = !clipped && bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, bytes.length - 1) : bytes;
  return { bytes: trimmed, start, end, oversize: length > maxLineBytes, clipped };
}
