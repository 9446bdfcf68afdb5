import { isUtf8 } from 'node:buffer';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ensureUsableDirectory } from '../checkpoint/usable-directory.js';

/**
 * Lines the agent will not ship (not JSON, too large) go here as JSON lines with their origin,
 * so nothing is dropped silently and an operator can replay them. Appends are synchronous so a
 * line is on disk before the checkpoint may pass it; `sync` is called before each checkpoint.
 */
export class DeadLetterFile {
  private fd?: number;
  private dirty = false;
  readonly path: string;

  constructor(directory: string) {
    this.path = path.join(directory, 'dead-letter.jsonl');
  }

  write(entry: { file: string; offset: number; reason: string; line: Buffer; originalBytes: number }): void {
    if (this.fd === undefined) {
      ensureUsableDirectory(path.dirname(this.path));
      this.fd = openSync(this.path, 'a', 0o600);
    }
    const text = isUtf8(entry.line);
    const record = {
      time: new Date().toISOString(),
      file: entry.file,
      offset: entry.offset,
      reason: entry.reason,
      originalBytes: entry.originalBytes,
      ...(text ? { line: entry.line.toString('utf8') } : { lineBase64: entry.line.toString('base64') }),
    };
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    this.dirty = true;
  }

  sync(): void {
    if (this.fd !== undefined && this.dirty) {
      fsyncSync(this.fd);
      this.dirty = false;
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    this.sync();
    closeSync(this.fd);
    this.fd = undefined;
  }
}
