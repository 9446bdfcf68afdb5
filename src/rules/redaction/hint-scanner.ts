/**
 * Finds whether any of several quoted hints (`"Secret`, `"token"`, …) occurs in a line, in one
 * pass over its bytes: at each quote, only the hints whose next byte matches are compared. This
 * replaces one `Buffer.includes` per hint per line.
 */
export class HintScanner {
  /** Hints by the byte that follows their opening quote. */
  private readonly byNextByte: (Buffer[] | undefined)[] = new Array(256);

  constructor(hints: readonly Buffer[]) {
    for (const hint of hints) {
      if (hint.length < 2 || hint[0] !== QUOTE) throw new Error(`a hint must start with a quote and one more byte: ${hint.toString()}`);
      (this.byNextByte[hint[1]!] ??= []).push(hint);
    }
  }

  foundIn(bytes: Buffer): boolean {
    const last = bytes.length - 1;
    for (let at = 0; at < last; at += 1) {
      if (bytes[at] !== QUOTE) continue;
      const candidates = this.byNextByte[bytes[at + 1]!];
      if (candidates === undefined) continue;
      for (const hint of candidates) {
        if (at + hint.length <= bytes.length && bytes.compare(hint, 0, hint.length, at, at + hint.length) === 0) return true;
      }
    }
    return false;
  }
}

const QUOTE = 0x22;
