/**
 * Decodes the contents of a JSON string that is plain ASCII (no escapes), handing back the same
 * string object for the same bytes while it stays cached. The fields rules and sinks read are
 * a few values repeated across millions of events (verbs, resources, stages, user names,
 * groups, source IPs): reusing their strings spares an allocation and a native call per read,
 * and a Map keyed by them (the matcher's index) finds their hash already computed.
 *
 * A small direct-mapped table: a slot keeps the last string that hashed to it, so values that
 * never repeat (auditIDs, timestamps) only displace each other.
 */
const SLOTS = 4096;
const SLOT_MASK = SLOTS - 1;
/** Longer strings are decoded without the cache: they are rarely repeated field values. */
const LONGEST_CACHED = 128;
const cached: string[] = new Array<string>(SLOTS).fill('');

const BACKSLASH = 0x5c;
const NON_ASCII = 0x80;

/** The string `bytes[start, end)` spells, or undefined when it holds an escape or a non-ASCII byte. */
export function plainStringAt(bytes: Buffer, start: number, end: number): string | undefined {
  let hash = 0x811c9dc5;
  for (let index = start; index < end; index += 1) {
    const byte = bytes[index]!;
    if (byte === BACKSLASH || byte >= NON_ASCII) return undefined;
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  const length = end - start;
  if (length > LONGEST_CACHED) return bytes.toString('latin1', start, end);
  const slot = (hash ^ (hash >>> 15)) & SLOT_MASK;
  const candidate = cached[slot]!;
  if (candidate.length === length && spells(candidate, bytes, start)) return candidate;
  const decoded = bytes.toString('latin1', start, end);
  cached[slot] = decoded;
  return decoded;
}

/** Whether `bytes[start, end)` holds no escape and no non-ASCII byte, so its bytes are the characters it spells. */
export function isPlainAt(bytes: Uint8Array, start: number, end: number): boolean {
  for (let index = start; index < end; index += 1) {
    const byte = bytes[index]!;
    if (byte === BACKSLASH || byte >= NON_ASCII) return false;
  }
  return true;
}

/** Whether the bytes from `start` are the characters of `text` (plain ASCII text; the caller checks the length). */
export function spells(text: string, bytes: Uint8Array, start: number): boolean {
  for (let offset = 0; offset < text.length; offset += 1) if (text.charCodeAt(offset) !== bytes[start + offset]) return false;
  return true;
}
