import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { keyOfLine } from './sink-output.js';

/** One line of the file sink's output: which record it carries and where it starts in the output. */
export interface SinkLine {
  readonly key: string | undefined;
  readonly start: number;
}

/**
 * The file sink's output as the model reads it, and a timeline of its size sampled by the test.
 * The samples give, for any instant, a lower bound of what had been delivered by then: a sample
 * taken late (the machine is loaded) only makes the bounds derived from it looser, never wrong.
 */
export class SinkTimeline {
  private readonly samples: Array<{ atMs: number; bytes: number }> = [];
  private timer?: NodeJS.Timeout;
  private readonly lines: SinkLine[] = [];
  private readonly counts = new Map<string, number>();
  private parsedTo = 0;

  constructor(readonly outputPath: string) {}

  start(intervalMs = 10): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  sample(): number {
    const bytes = existsSync(this.outputPath) ? statSync(this.outputPath).size : 0;
    this.samples.push({ atMs: Date.now(), bytes });
    return bytes;
  }

  /** Output size at the last sample taken at or before `atMs`: everything below it was delivered by then. */
  deliveredBytesBefore(atMs: number): number {
    let bytes = 0;
    for (const sample of this.samples) {
      if (sample.atMs > atMs) break;
      bytes = sample.bytes;
    }
    return bytes;
  }

  /**
   * Where the next agent's output will begin: the end of the last complete line. A killed agent
   * may leave a torn last line, which the file sink cuts when the next agent starts, so the raw
   * size would count bytes the next agent writes over.
   */
  completeLinesEnd(): number {
    this.refresh();
    return this.parsedTo;
  }

  /** Every complete line of the output so far, in arrival order. */
  read(): readonly SinkLine[] {
    this.refresh();
    return this.lines;
  }

  /** How many times each key arrived so far. */
  deliveredKeys(): ReadonlyMap<string, number> {
    this.refresh();
    return this.counts;
  }

  /**
   * Parses what was appended since the last call. The output only grows past its complete lines:
   * the one cut (a torn last line, at the next agent's start) never reaches below parsedTo.
   */
  private refresh(): void {
    if (!existsSync(this.outputPath)) return;
    const size = statSync(this.outputPath).size;
    if (size <= this.parsedTo) return;
    const fd = openSync(this.outputPath, 'r');
    const bytes = Buffer.allocUnsafe(size - this.parsedTo);
    try {
      let read = 0;
      while (read < bytes.length) read += readSync(fd, bytes, read, bytes.length - read, this.parsedTo + read);
    } finally {
      closeSync(fd);
    }
    let start = 0;
    for (let end = bytes.indexOf(0x0a); end >= 0; end = bytes.indexOf(0x0a, start)) {
      const key = keyOfLine(bytes.subarray(start, end));
      this.lines.push({ key, start: this.parsedTo + start });
      if (key !== undefined) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      start = end + 1;
    }
    this.parsedTo += start;
  }
}
