import { isUtf8 } from 'node:buffer';
import type { GrowableBuffer } from './growable-buffer.js';

/**
 * Transcodes one JSON object, as bytes, straight to msgpack, without building the JS object:
 * the output is byte for byte what @msgpack/msgpack's `Encoder` writes for
 * `JSON.parse(json.toString('utf8'))`. The forward sink ships every event as a msgpack map; going
 * through JSON.parse and the encoder cost most of its time.
 *
 * What "the same bytes" takes, and how it is done:
 * - Keys in document order. `Object.keys` would put array-index keys ("0", "17") first in numeric
 *   order; an object with such a key is not transcoded (`append` returns false).
 * - Duplicate keys: JSON.parse keeps the last value at the first key's place. Any two keys of one
 *   object with the same 32-bit hash (a duplicate, or rarely a collision) make `append` return false.
 * - Numbers: a safe integer (1.0, 1e2 and -0 included; -0 becomes 0) takes the smallest int
 *   format, anything else (1.5, 1e21, 2^53) a float64; the value is the one JSON.parse reads.
 * - Strings: escapes decoded to UTF-8, `\uXXXX` surrogate pairs joined into one 4-byte character.
 *   A lone surrogate becomes what the encoder writes: its 3-byte code-point form (ED A0 80 for
 *   U+D800) in a string of up to 50 UTF-16 units, whose encoding is done in JS, U+FFFD (EF BF BD)
 *   in a longer one, which goes through TextEncoder.
 * - Bytes that are not valid UTF-8: `toString('utf8')` would replace them with U+FFFD; such input
 *   is not transcoded (`append` returns false).
 * - Map and array headers: the entry count is known only at the closing bracket, so each container
 *   gets a one-byte placeholder (fixmap/fixarray) and the ones with 16 entries or more are widened
 *   at the end, in one pass from the back that moves every byte at most once, however deep the
 *   nesting. The nesting is walked with explicit stacks, not recursion, so no depth is too deep.
 *
 * When `append` returns false it has written nothing and the caller encodes `JSON.parse(json)`
 * instead; it does the same for input that is not one valid JSON object, whose JSON.parse throws.
 */
export class JsonToMsgpack {
  /** Per container, in opening order (which is also the order of their positions). */
  private headerAt = new Int32Array(256);
  private entryCount = new Int32Array(256);
  private containers = 0;
  /** Per nesting level: the open container, whether it is a map, where its keys start in the key stack. */
  private openContainer = new Int32Array(64);
  private openIsMap = new Uint8Array(64);
  private openKeysFrom = new Int32Array(64);
  private depth = 0;
  /** The key hashes of every open map, innermost last. */
  private keyHashes = new Int32Array(256);
  private keys = 0;
  /** Hashes of a large map's keys, sorted to find equal ones. */
  private sortScratch = new Int32Array(256);
  /** Where the value of each captured top-level field starts in the output, or -1. */
  private readonly capturedAt: Int32Array;
  private readonly capturedValues: (string | undefined)[];
  private readonly capturedNames: Buffer[];

  private src: Buffer = Buffer.alloc(0);
  private out: Buffer = Buffer.alloc(0);
  private o = 0;
  private readonly float64 = new DataView(new ArrayBuffer(8));

  /**
   * @param capturedFields top-level fields whose string values `captured` gives after each
   *   `append`, so a caller can read a field or two without parsing the event.
   */
  constructor(capturedFields: readonly string[] = []) {
    this.capturedNames = capturedFields.map((field) => Buffer.from(field, 'utf8'));
    this.capturedAt = new Int32Array(capturedFields.length);
    this.capturedValues = capturedFields.map(() => undefined);
  }

  /**
   * The string value of `capturedFields[index]` in the last appended object, or undefined when
   * the field was absent or not a string.
   */
  captured(index: number): string | undefined {
    return this.capturedValues[index];
  }

  /**
   * Appends the msgpack form of the JSON object in `json` (a UTF-8 BOM and surrounding whitespace
   * allowed) to `output`. Returns false for input it does not transcode (see the class comment),
   * with `output.length` as it was (bytes past it may have been written); the caller then takes
   * the JSON.parse path.
   */
  append(json: Buffer, output: GrowableBuffer): boolean {
    if (!isUtf8(json)) return false;
    // No JSON value with its separator takes more than 3 times its bytes in msgpack ("0.5," is 4
    // bytes, its float64 9), widened headers aside: reserving that spares a check per write.
    output.reserve(json.length * 3 + 16);
    this.src = json;
    this.out = output.bytes;
    this.o = output.length;
    this.containers = 0;
    this.depth = 0;
    this.keys = 0;
    this.capturedAt.fill(-1);
    let i = json.length >= 3 && json[0] === 0xef && json[1] === 0xbb && json[2] === 0xbf ? 3 : 0;
    i = this.skipWhitespace(i);
    if (json[i] !== 0x7b || !this.transcode(i)) return false;
    this.readCaptured();
    this.widenHeaders(output);
    output.length = this.o;
    return true;
  }

  /** Walks the document from the top-level `{` at `start`; false when it is not valid JSON or not transcodable. */
  private transcode(start: number): boolean {
    const src = this.src;
    const end = src.length;
    let i = start;
    for (;;) {
      // A value starts at i.
      let c = src[i];
      if (c === 0x7b || c === 0x5b) {
        const isMap = c === 0x7b;
        this.open(isMap);
        i = this.skipWhitespace(i + 1);
        if (src[i] === (isMap ? 0x7d : 0x5d)) {
          i += 1;
          if (!this.close()) return false;
        } else {
          this.entryCount[this.containers - 1] = 1;
          if (isMap && (i = this.key(i)) < 0) return false;
          continue;
        }
      } else if (c === 0x22) {
        if ((i = this.string(i)) < 0) return false;
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        if ((i = this.number(i)) < 0) return false;
      } else if ((i = this.literal(i)) < 0) {
        return false;
      }
      // After a value: a comma, or the end of one or more containers.
      for (;;) {
        i = this.skipWhitespace(i);
        if (this.depth === 0) return i === end;
        c = src[i];
        const isMap = this.openIsMap[this.depth - 1] === 1;
        if (c === 0x2c) {
          this.entryCount[this.openContainer[this.depth - 1]] += 1;
          i = this.skipWhitespace(i + 1);
          if (isMap && (i = this.key(i)) < 0) return false;
          break;
        }
        if (c !== (isMap ? 0x7d : 0x5d)) return false;
        i += 1;
        if (!this.close()) return false;
      }
    }
  }

  private open(isMap: boolean): void {
    if (this.containers === this.headerAt.length) {
      this.headerAt = grown(this.headerAt);
      this.entryCount = grown(this.entryCount);
    }
    if (this.depth === this.openContainer.length) {
      this.openContainer = grown(this.openContainer);
      this.openIsMap = grown(this.openIsMap);
      this.openKeysFrom = grown(this.openKeysFrom);
    }
    const container = this.containers++;
    this.headerAt[container] = this.o;
    this.entryCount[container] = 0;
    this.out[this.o++] = isMap ? 0x80 : 0x90;
    this.openContainer[this.depth] = container;
    this.openIsMap[this.depth] = isMap ? 1 : 0;
    this.openKeysFrom[this.depth] = this.keys;
    this.depth += 1;
  }

  /** Ends the innermost container: a small one gets its fix header now, a larger one at the end. */
  private close(): boolean {
    this.depth -= 1;
    const container = this.openContainer[this.depth];
    const count = this.entryCount[container];
    if (count < 16) this.out[this.headerAt[container]] |= count;
    if (this.openIsMap[this.depth] === 0) return true;
    const keysFrom = this.openKeysFrom[this.depth];
    const unique = this.keysDistinct(keysFrom, this.keys);
    this.keys = keysFrom;
    return unique;
  }

  /** Whether the key hashes in [from, to) are pairwise different. */
  private keysDistinct(from: number, to: number): boolean {
    const hashes = this.keyHashes;
    if (to - from <= 24) {
      for (let a = from + 1; a < to; a++) {
        for (let b = from; b < a; b++) if (hashes[a] === hashes[b]) return false;
      }
      return true;
    }
    if (this.sortScratch.length < to - from) this.sortScratch = new Int32Array(2 * (to - from));
    const sorted = this.sortScratch.subarray(0, to - from);
    sorted.set(hashes.subarray(from, to));
    sorted.sort();
    for (let a = 1; a < sorted.length; a++) if (sorted[a] === sorted[a - 1]) return false;
    return true;
  }

  /**
   * A map key at i (its `"`), then the colon; returns where the value starts, or -1. A key is
   * copied like any string, but hashed in the same loop for the duplicate check.
   */
  private key(i: number): number {
    const src = this.src;
    if (src[i] !== 0x22) return -1;
    const end = src.length;
    const out = this.out;
    const headerAt = this.o;
    let o = headerAt + 1;
    let j = i + 1;
    let c = 0;
    let hash = FNV_OFFSET_BASIS;
    while (j < end) {
      c = src[j];
      if (ENDS_PLAIN_RUN[c] === 1) break;
      out[o++] = c;
      hash = Math.imul(hash ^ c, FNV_PRIME);
      j++;
    }
    if (j >= end || c < 0x20) return -1;
    let bytesFrom = headerAt + 1;
    if (c === 0x5c) {
      // Rare: hash the decoded key again, from the output.
      if ((j = this.escapedString(j, headerAt, o)) < 0) return -1;
      o = this.o;
      bytesFrom = headerAt + STR_HEADER_BYTES[out[headerAt]];
      hash = FNV_OFFSET_BASIS;
      for (let k = bytesFrom; k < o; k++) hash = Math.imul(hash ^ out[k], FNV_PRIME);
    } else {
      o = this.o = this.finishString(headerAt, o);
      bytesFrom = o - (j - i - 1);
      j += 1;
    }
    if (out[bytesFrom] >= 0x30 && out[bytesFrom] <= 0x39 && isArrayIndex(out, bytesFrom, o)) return -1;
    if (this.keys === this.keyHashes.length) this.keyHashes = grown(this.keyHashes);
    this.keyHashes[this.keys++] = hash;
    if (this.depth === 1) this.noteCapturedKey(bytesFrom, o);
    j = this.skipWhitespace(j);
    if (src[j] !== 0x3a) return -1;
    return this.skipWhitespace(j + 1);
  }

  private noteCapturedKey(from: number, to: number): void {
    for (let index = 0; index < this.capturedNames.length; index++) {
      const name = this.capturedNames[index];
      if (name.length === to - from && equalBytes(name, this.out, from)) this.capturedAt[index] = to;
    }
  }

  /** Reads the captured fields' string values, before widening moves the bytes. */
  private readCaptured(): void {
    const out = this.out;
    for (let index = 0; index < this.capturedAt.length; index++) {
      const at = this.capturedAt[index];
      let value: string | undefined;
      if (at >= 0) {
        const header = out[at];
        if (header >= 0xa0 && header <= 0xbf) value = out.toString('utf8', at + 1, at + 1 + (header & 0x1f));
        else if (header === 0xd9) value = out.toString('utf8', at + 2, at + 2 + out[at + 1]);
        else if (header === 0xda) value = out.toString('utf8', at + 3, at + 3 + out.readUInt16BE(at + 1));
        else if (header === 0xdb) value = out.toString('utf8', at + 5, at + 5 + out.readUInt32BE(at + 1));
      }
      this.capturedValues[index] = value;
    }
  }

  /** A string at i (its opening `"`); returns the index after the closing `"`, or -1. */
  private string(i: number): number {
    const src = this.src;
    const end = src.length;
    const out = this.out;
    const from = i + 1;
    // Copied while scanning, behind a one-byte header: most strings are shorter than 32 bytes.
    const headerAt = this.o;
    let o = headerAt + 1;
    let j = from;
    let c = 0;
    while (j < end) {
      c = src[j];
      if (ENDS_PLAIN_RUN[c] === 1) break;
      out[o++] = c;
      j++;
    }
    if (j >= end || c < 0x20) return -1;
    if (c === 0x5c) return this.escapedString(j, headerAt, o);
    this.o = this.finishString(headerAt, o);
    return j + 1;
  }

  /**
   * Puts the header before a string copied behind a one-byte header at `headerAt` up to `end`:
   * a string of 32 bytes or more moves right to make room for its longer header. Returns the new end.
   */
  private finishString(headerAt: number, end: number): number {
    const length = end - headerAt - 1;
    if (length < 32) {
      this.out[headerAt] = 0xa0 | length;
      return end;
    }
    const headerBytes = strHeaderBytes(length);
    this.out.copyWithin(headerAt + headerBytes, headerAt + 1, end);
    this.strHeader(headerAt, length);
    return end + headerBytes - 1;
  }

  /**
   * The rest of a string whose first backslash is at `j`: the bytes before it are already copied
   * behind the one-byte header at `headerAt`, up to `o`; decoding goes on from there (every escape
   * is at least as long as what it stands for, so the output never outgrows the input).
   */
  private escapedString(j: number, headerAt: number, o: number): number {
    const src = this.src;
    const end = src.length;
    const out = this.out;
    let loneSurrogate = false;
    for (;;) {
      let c = src[j];
      while (ENDS_PLAIN_RUN[c] !== 1 && j < end) {
        out[o++] = c;
        c = src[++j];
      }
      if (j >= end || c < 0x20) return -1;
      if (c === 0x22) break;
      const escaped = src[j + 1];
      j += 2;
      if (escaped !== 0x75) {
        const byte = unescaped(escaped);
        if (byte < 0) return -1;
        out[o++] = byte;
        continue;
      }
      const unit = hex4(src, j);
      if (unit < 0) return -1;
      j += 4;
      if (unit >= 0xd800 && unit <= 0xdbff && src[j] === 0x5c && src[j + 1] === 0x75) {
        const low = hex4(src, j + 2);
        if (low >= 0xdc00 && low <= 0xdfff) {
          const codePoint = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
          out[o++] = 0xf0 | (codePoint >> 18);
          out[o++] = 0x80 | ((codePoint >> 12) & 0x3f);
          out[o++] = 0x80 | ((codePoint >> 6) & 0x3f);
          out[o++] = 0x80 | (codePoint & 0x3f);
          j += 6;
          continue;
        }
      }
      if (unit >= 0xd800 && unit <= 0xdfff) loneSurrogate = true;
      if (unit < 0x80) {
        out[o++] = unit;
      } else if (unit < 0x800) {
        out[o++] = 0xc0 | (unit >> 6);
        out[o++] = 0x80 | (unit & 0x3f);
      } else {
        out[o++] = 0xe0 | (unit >> 12);
        out[o++] = 0x80 | ((unit >> 6) & 0x3f);
        out[o++] = 0x80 | (unit & 0x3f);
      }
    }
    if (loneSurrogate && utf16Length(out, headerAt + 1, o) > 50) replaceSurrogates(out, headerAt + 1, o);
    this.o = this.finishString(headerAt, o);
    return j + 1;
  }

  private strHeader(at: number, length: number): void {
    const out = this.out;
    if (length < 32) {
      out[at] = 0xa0 | length;
    } else if (length < 0x100) {
      out[at] = 0xd9;
      out[at + 1] = length;
    } else if (length < 0x10000) {
      out[at] = 0xda;
      out[at + 1] = length >> 8;
      out[at + 2] = length & 0xff;
    } else {
      out[at] = 0xdb;
      out.writeUInt32BE(length, at + 1);
    }
  }

  /** A number at i; returns the index after it, or -1. */
  private number(i: number): number {
    const src = this.src;
    const end = src.length;
    let k = src[i] === 0x2d ? i + 1 : i;
    const digitsFrom = k;
    let value = 0;
    while (k < end) {
      const c = src[k];
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      k++;
    }
    const digits = k - digitsFrom;
    if (digits === 0 || (digits > 1 && src[digitsFrom] === 0x30)) return -1;
    let c = src[k];
    if (c !== 0x2e && c !== 0x65 && c !== 0x45 && digits <= 15) {
      // Below 10^15 the digits summed as above are exact.
      this.writeNumber(digitsFrom === i ? value : -value);
      return k;
    }
    if (c === 0x2e) {
      const fractionFrom = ++k;
      while (k < end && src[k] >= 0x30 && src[k] <= 0x39) k++;
      if (k === fractionFrom) return -1;
      c = src[k];
    }
    if (c === 0x65 || c === 0x45) {
      k++;
      if (src[k] === 0x2b || src[k] === 0x2d) k++;
      const exponentFrom = k;
      while (k < end && src[k] >= 0x30 && src[k] <= 0x39) k++;
      if (k === exponentFrom) return -1;
    }
    // Correct rounding is what JSON.parse does; Number() of the same text does the same.
    this.writeNumber(Number(src.toString('latin1', i, k)));
    return k;
  }

  /** As the encoder's encodeNumber: safe integers in the smallest int format, the rest as float64. */
  private writeNumber(value: number): void {
    const out = this.out;
    let o = this.o;
    if (!Number.isSafeInteger(value)) {
      this.float64.setFloat64(0, value);
      out[o++] = 0xcb;
      for (let k = 0; k < 8; k++) out[o++] = this.float64.getUint8(k);
    } else if (value >= 0) {
      if (value < 0x80) {
        out[o++] = value;
      } else if (value < 0x100) {
        out[o++] = 0xcc;
        out[o++] = value;
      } else if (value < 0x10000) {
        out[o++] = 0xcd;
        out[o++] = value >> 8;
        out[o++] = value & 0xff;
      } else if (value < 0x100000000) {
        out[o++] = 0xce;
        o = writeUint32(out, o, value);
      } else {
        out[o++] = 0xcf;
        o = writeUint32(out, o, Math.floor(value / 0x100000000));
        o = writeUint32(out, o, value >>> 0);
      }
    } else if (value >= -0x20) {
      out[o++] = 0xe0 | (value + 0x20);
    } else if (value >= -0x80) {
      out[o++] = 0xd0;
      out[o++] = value & 0xff;
    } else if (value >= -0x8000) {
      out[o++] = 0xd1;
      out[o++] = (value >> 8) & 0xff;
      out[o++] = value & 0xff;
    } else if (value >= -0x80000000) {
      out[o++] = 0xd2;
      o = writeUint32(out, o, value >>> 0);
    } else {
      out[o++] = 0xd3;
      o = writeUint32(out, o, Math.floor(value / 0x100000000) >>> 0);
      o = writeUint32(out, o, value >>> 0);
    }
    this.o = o;
  }

  /** true, false or null at i; returns the index after it, or -1. */
  private literal(i: number): number {
    const src = this.src;
    const c = src[i];
    if (c === 0x74 && src[i + 1] === 0x72 && src[i + 2] === 0x75 && src[i + 3] === 0x65) {
      this.out[this.o++] = 0xc3;
      return i + 4;
    }
    if (c === 0x66 && src[i + 1] === 0x61 && src[i + 2] === 0x6c && src[i + 3] === 0x73 && src[i + 4] === 0x65) {
      this.out[this.o++] = 0xc2;
      return i + 5;
    }
    if (c === 0x6e && src[i + 1] === 0x75 && src[i + 2] === 0x6c && src[i + 3] === 0x6c) {
      this.out[this.o++] = 0xc0;
      return i + 4;
    }
    return -1;
  }

  private skipWhitespace(i: number): number {
    const src = this.src;
    while (i < src.length) {
      const c = src[i];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
    return i;
  }

  /**
   * Gives every container of 16 entries or more its map 16/32 or array 16/32 header in place of
   * the one-byte placeholder. From the last such container back to the first, the bytes after
   * each placeholder move right by the room all headers up to it need, so each byte moves once.
   */
  private widenHeaders(output: GrowableBuffer): void {
    let room = 0;
    for (let container = 0; container < this.containers; container++) room += extraHeaderBytes(this.entryCount[container]);
    if (room === 0) return;
    output.length = this.o;
    output.reserve(room);
    const out = (this.out = output.bytes);
    let end = this.o;
    let shift = room;
    for (let container = this.containers - 1; container >= 0; container--) {
      const count = this.entryCount[container];
      const extra = extraHeaderBytes(count);
      if (extra === 0) continue;
      const at = this.headerAt[container];
      out.copyWithin(at + 1 + shift, at + 1, end);
      shift -= extra;
      const isMap = out[at] === 0x80;
      const headerAt = at + shift;
      if (extra === 2) {
        out[headerAt] = isMap ? 0xde : 0xdc;
        out[headerAt + 1] = count >> 8;
        out[headerAt + 2] = count & 0xff;
      } else {
        out[headerAt] = isMap ? 0xdf : 0xdd;
        writeUint32(out, headerAt + 1, count);
      }
      end = at;
    }
    this.o += room;
  }
}

/** Whether `bytes` holds all of `wanted` at `at`. */
function equalBytes(wanted: Buffer, bytes: Buffer, at: number): boolean {
  for (let k = 0; k < wanted.length; k++) if (bytes[at + k] !== wanted[k]) return false;
  return true;
}

/** Bytes a container of `count` entries needs beyond its one-byte placeholder. */
function extraHeaderBytes(count: number): number {
  return count < 16 ? 0 : count < 0x10000 ? 2 : 4;
}

/** Bytes that end a run of plain string bytes: `"`, `\\` and the control characters. */
const ENDS_PLAIN_RUN = new Uint8Array(256).fill(1, 0, 0x20);
ENDS_PLAIN_RUN[0x22] = 1;
ENDS_PLAIN_RUN[0x5c] = 1;

/** FNV-1a, 32 bits: cheap per byte, and unlike `h * 31 + c` it does not make "k0" and "in" collide. */
const FNV_OFFSET_BASIS = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** Size of a str header by its first byte: fixstr 1, str 8 2, str 16 3, str 32 5. */
const STR_HEADER_BYTES = new Uint8Array(256).fill(1, 0xa0, 0xc0).fill(2, 0xd9, 0xda).fill(3, 0xda, 0xdb).fill(5, 0xdb, 0xdc);

function strHeaderBytes(length: number): number {
  return length < 32 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
}

function writeUint32(out: Buffer, at: number, value: number): number {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
  return at + 4;
}

/** What a one-character escape stands for, or -1. */
function unescaped(escaped: number): number {
  switch (escaped) {
    case 0x22:
    case 0x5c:
    case 0x2f:
      return escaped;
    case 0x62:
      return 0x08;
    case 0x66:
      return 0x0c;
    case 0x6e:
      return 0x0a;
    case 0x72:
      return 0x0d;
    case 0x74:
      return 0x09;
    default:
      return -1;
  }
}

/** The four hex digits at i as a number, or -1. */
function hex4(src: Buffer, i: number): number {
  let value = 0;
  for (let k = i; k < i + 4; k++) {
    const c = src[k];
    let digit: number;
    if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) digit = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) digit = c - 0x37;
    else return -1;
    value = (value << 4) | digit;
  }
  return value;
}

/**
 * Whether the key bytes [from, to) are an array index (a canonical decimal below 2^32 - 1), which
 * `Object.keys` would list before the other keys.
 */
function isArrayIndex(bytes: Buffer, from: number, to: number): boolean {
  const length = to - from;
  if (length === 0 || length > 10 || (length > 1 && bytes[from] === 0x30)) return false;
  let value = 0;
  for (let k = from; k < to; k++) {
    const c = bytes[k];
    if (c < 0x30 || c > 0x39) return false;
    value = value * 10 + (c - 0x30);
  }
  return value < 0xffffffff;
}

/** UTF-16 units of the (WTF-8) bytes [from, to): one per lead byte, two for a 4-byte character. */
function utf16Length(bytes: Buffer, from: number, to: number): number {
  let units = 0;
  for (let k = from; k < to; k++) {
    const byte = bytes[k];
    if ((byte & 0xc0) !== 0x80) units += byte >= 0xf0 ? 2 : 1;
  }
  return units;
}

/** Replaces each 3-byte surrogate (ED A0..BF xx; never in valid UTF-8) with U+FFFD, as TextEncoder does. */
function replaceSurrogates(bytes: Buffer, from: number, to: number): void {
  for (let k = from; k + 2 < to; k++) {
    if (bytes[k] === 0xed && bytes[k + 1] >= 0xa0) {
      bytes[k] = 0xef;
      bytes[k + 1] = 0xbf;
      bytes[k + 2] = 0xbd;
      k += 2;
    }
  }
}

function grown<T extends Int32Array | Uint8Array>(array: T): T {
  const larger = new (array.constructor as new (length: number) => T)(array.length * 2);
  larger.set(array);
  return larger;
}
