import { closeSync, existsSync, openSync, readSync } from 'node:fs';

const READ_BYTES = 4 * 1024 * 1024;

/** Reads the lines appended to a growing file since the last call, each whole line once. */
export class OutputTail {
  private fd?: number;
  private position = 0;
  private carried = Buffer.alloc(0);

  constructor(private readonly file: string) {}

  /** Calls `onLine` for every complete line written since the previous call. */
  poll(onLine: (line: Buffer) => void): void {
    if (this.fd === undefined) {
      if (!existsSync(this.file)) return;
      this.fd = openSync(this.file, 'r');
    }
    for (;;) {
      const buffer = Buffer.allocUnsafe(READ_BYTES);
      const bytesRead = readSync(this.fd, buffer, 0, READ_BYTES, this.position);
      if (bytesRead === 0) return;
      this.position += bytesRead;
      const data = this.carried.length > 0 ? Buffer.concat([this.carried, buffer.subarray(0, bytesRead)]) : buffer.subarray(0, bytesRead);
      let start = 0;
      for (let newline = data.indexOf(0x0a); newline >= 0; newline = data.indexOf(0x0a, start)) {
        onLine(data.subarray(start, newline));
        start = newline + 1;
      }
      this.carried = Buffer.from(data.subarray(start));
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
