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
  const length = end - start;
  if (length > LONGEST_CACHED) return isPlainAt(bytes, start, end) ? bytes.toString('latin1', start, end) : undefined;
  const slot = slotOf(bytes, start, end);
  const candidate = cached[slot]!;
  // Cached strings are plain ASCII: bytes that spell one are plain too, and were read only once.
  if (candidate.length === length && spells(candidate, bytes, start)) return candidate;
  if (!isPlainAt(bytes, start, end)) return undefined;
  const decoded = bytes.toString('latin1', start, end);
  cached[slot] = decoded;
  return decoded;
}

/**
 * A slot by the length and a few bytes at both ends and in the middle, not by every byte (the
 * caller passes the bytes between a string's quotes, which are read too): a hit
 * then costs one pass over the bytes (the comparison). Values that differ only elsewhere share
 * a slot; those are mostly values that never repeat (timestamps, ids), which then displace
 * only each other.
 */
function slotOf(bytes: Uint8Array, start: number, end: number): number {
  if (end <= start) return 0;
  // Within [start - 1, end]: the quotes around a string are there to read.
  let hash = Math.imul(end - start, 0x9e3779b1);
  hash = Math.imul(hash ^ (bytes[start]! | (bytes[start + 1]! << 8)), 0x85ebca6b);
  hash = Math.imul(hash ^ bytes[(start + end) >> 1]!, 0xc2b2ae35);
  hash = Math.imul(hash ^ (bytes[end - 1]! | (bytes[end - 2]! << 8)), 0x27d4eb2f);
  return (hash ^ (hash >>> 15)) & SLOT_MASK;
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
