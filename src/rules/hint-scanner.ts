import { escapeRegExp } from '../escape-reg-exp.js';

/**
 * Finds which of several short byte strings ("hints": `"Secret`, `"token"`, `"privileged"`,
 * `\u`) occur in a line or a stretch of it, in one pass over its bytes. This replaces one
 * `Buffer.includes` per hint, each a pass of its own: redaction asks whether any built-in hint
 * is in a line, detection which of its rules' needles are in a request body.
 *
 * The pass is V8's regular expression engine, over the bytes read as latin1 (one character per
 * byte, so a hint matches exactly where its bytes are): compiled to machine code, it skips
 * ahead over stretches that cannot start a hint, where a loop in JavaScript looks at every byte,
 * and most hints start with `"`, one of the commonest bytes of JSON. The expression only finds
 * the positions where some hint starts; the hints at each such position are then compared in
 * place, so hints that share a start or overlap are all found.
 */
export class HintScanner {
  /** Any hint; global, so that a search goes on from `lastIndex`. */
  private readonly anyHint: RegExp;
  /** Indexes of the hints by their first byte, then by their second. */
  private readonly byFirstBytes: ((number[] | undefined)[] | undefined)[] = new Array(256);
  /** Bytes read as one string at most, and how far consecutive chunks overlap (the longest hint less one byte). */
  private readonly chunkBytes: number;
  private readonly overlap: number;
  /** foundIn's marks (scanning is synchronous). */
  private readonly found: boolean[] = [];

  constructor(private readonly hints: readonly Buffer[]) {
    if (hints.length === 0) throw new Error('a hint scanner needs at least one hint');
    hints.forEach((hint, index) => {
      if (hint.length < 2) throw new Error(`a hint needs two bytes or more: ${hint.toString()}`);
      ((this.byFirstBytes[hint[0]!] ??= new Array(256))[hint[1]!] ??= []).push(index);
    });
    this.overlap = Math.max(...hints.map((hint) => hint.length)) - 1;
    this.chunkBytes = Math.max(CHUNK_BYTES, 2 * this.overlap);
    this.anyHint = new RegExp(hints.map((hint) => escapeRegExp(hint.toString('latin1'))).join('|'), 'g');
  }

  /** Whether any hint occurs in `bytes`. */
  foundIn(bytes: Buffer): boolean {
    // The whole line is scanned even after a hit: hints are rare, and one path serves both uses.
    this.markFound(bytes, 0, bytes.length, this.found);
    return this.found.includes(true);
  }

  /** Sets `found[index]` for each hint that occurs in `bytes[start, end)` (and clears the others). */
  markFound(bytes: Buffer, start: number, end: number, found: boolean[]): void {
    for (let index = 0; index < this.hints.length; index += 1) found[index] = false;
    const anyHint = this.anyHint;
    // Stretches are read as strings a chunk at a time, so a huge line never becomes one huge
    // string; chunks overlap by a hint's length less one byte, so a hint cut by a chunk's end
    // lies whole in the next chunk.
    for (let chunkStart = start; ; chunkStart += this.chunkBytes - this.overlap) {
      const chunkEnd = Math.min(end, chunkStart + this.chunkBytes);
      const text = bytes.toString('latin1', chunkStart, chunkEnd);
      anyHint.lastIndex = 0;
      for (let match = anyHint.exec(text); match !== null; match = anyHint.exec(text)) {
        const at = chunkStart + match.index;
        for (const index of this.byFirstBytes[bytes[at]!]![bytes[at + 1]!]!) {
          if (!found[index] && occursAt(this.hints[index]!, bytes, at, end)) found[index] = true;
        }
        // The next hint may start inside this one.
        anyHint.lastIndex = match.index + 1;
      }
      if (chunkEnd === end) return;
    }
  }
}

/** Far more than an audit event's line usually holds: most lines are read as one string. */
const CHUNK_BYTES = 1 << 20;

/** Compared in place: hints are a few bytes, shorter than a native call's overhead. */
function occursAt(hint: Buffer, bytes: Buffer, at: number, end: number): boolean {
  if (at + hint.length > end) return false;
  for (let offset = 2; offset < hint.length; offset += 1) if (bytes[at + offset] !== hint[offset]) return false;
  return true;
}
