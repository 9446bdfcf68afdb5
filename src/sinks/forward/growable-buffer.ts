/**
 * A byte buffer that is written in place and kept between uses: `length` bytes are in use, and
 * `reserve` makes room for more by moving to a larger buffer (at least twice the size), so
 * appending many small pieces costs no allocation once the buffer has grown to its working size.
 */
export class GrowableBuffer {
  bytes: Buffer;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.bytes = Buffer.allocUnsafe(initialBytes);
  }

  /** Makes room for `extra` more bytes after `length`; `bytes` may be a new buffer afterwards. */
  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    const larger = Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2));
    this.bytes.copy(larger, 0, 0, this.length);
    this.bytes = larger;
  }
}
