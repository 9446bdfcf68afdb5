/**
 * Finds which of several short byte strings ("hints": `"Secret`, `"token"`, `"privileged"`,
 * `\u`) occur in a line or a stretch of it, in one pass over its bytes: at each byte that starts
 * some hint, only the hints that also share its next byte are compared. This replaces one
 * `Buffer.includes` per hint, each a pass of its own: redaction asks whether any built-in hint
 * is in a line, detection which of its rules' needles are in a request body.
 */
export class HintScanner {
  /** Indexes of the hints by their first byte, then by their second. */
  private readonly byFirstBytes: ((number[] | undefined)[] | undefined)[] = new Array(256);
  /** foundIn's marks (scanning is synchronous). */
  private readonly found: boolean[] = [];

  constructor(private readonly hints: readonly Buffer[]) {
    hints.forEach((hint, index) => {
      if (hint.length < 2) throw new Error(`a hint needs two bytes or more: ${hint.toString()}`);
      ((this.byFirstBytes[hint[0]!] ??= new Array(256))[hint[1]!] ??= []).push(index);
    });
  }

  /** Whether any hint occurs in `bytes`. */
  foundIn(bytes: Buffer): boolean {
    // The whole line is scanned even after a hit: hints are rare, and one loop for both uses
    // keeps it specialised to one caller shape.
    this.markFound(bytes, 0, bytes.length, this.found);
    return this.found.includes(true);
  }

  /** Sets `found[index]` for each hint that occurs in `bytes[start, end)` (and clears the others). */
  markFound(bytes: Buffer, start: number, end: number, found: boolean[]): void {
    for (let index = 0; index < this.hints.length; index += 1) found[index] = false;
    const last = end - 1;
    for (let at = start; at < last; at += 1) {
      const bySecond = this.byFirstBytes[bytes[at]!];
      if (bySecond === undefined) continue;
      const candidates = bySecond[bytes[at + 1]!];
      if (candidates === undefined) continue;
      for (const index of candidates) if (!found[index] && occursAt(this.hints[index]!, bytes, at, end)) found[index] = true;
    }
  }
}

/** Compared in place: hints are a few bytes, shorter than a native call's overhead. */
function occursAt(hint: Buffer, bytes: Buffer, at: number, end: number): boolean {
  if (at + hint.length > end) return false;
  for (let offset = 2; offset < hint.length; offset += 1) if (bytes[at + offset] !== hint[offset]) return false;
  return true;
}
