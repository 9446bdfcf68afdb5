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
  readonly shipsValueOnly = true;
  private lastError?: string;

  constructor(private readonly output: Writable = process.stdout) {}

  async start(): Promise<void> {
    // A closed pipe (the reader went away) emits EPIPE on the stream; without a listener Node
    // would crash the agent. The failing write's callback rejects its batch, which is retried.
    this.output.on('error', (error: Error) => {
      this.lastError = error.message;
    });
  }

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
