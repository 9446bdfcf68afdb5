import type { Writable } from 'node:stream';
import type { Batch } from '../../pipeline/audit-record.js';
import { batchAsJsonLines } from '../json-lines.js';
import type { Sink, SinkHealth } from '../sink.js';

/**
 * Writes events as JSON lines to standard output (logs go to stderr). A batch counts as
 * delivered once the stream accepted it; what reads the pipe is responsible from there on.
 */
export class StdoutSink implements Sink {
  readonly name = 'stdout';
  private lastError?: string;

  constructor(private readonly output: Writable = process.stdout) {}

  async start(): Promise<void> {}

  send(batch: Batch): Promise<void> {
    return new Promise((resolve, reject) => {
      this.output.write(batchAsJsonLines(batch), (error) => {
        this.lastError = error?.message;
        if (error) reject(error);
        else resolve();
      });
    });
  }

  async close(): Promise<void> {}

  health(): SinkHealth {
    return this.lastError ? { ready: false, detail: `last write failed: ${this.lastError}` } : { ready: true, detail: 'stdout' };
  }
}
