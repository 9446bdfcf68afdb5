import type { AuditEvent } from './audit-record.js';

export type Decoded =
  | { kind: 'event'; event: AuditEvent }
  | { kind: 'empty' }
  | { kind: 'invalid'; reason: string };

/**
 * Turns one line into an event. Anything that is not a JSON object (garbage, a truncated write,
 * an array, a bare string) is `invalid`, never dropped silently: the caller dead-letters or ships
 * it. A UTF-8 byte-order mark is tolerated (AKS exports carry one); the shipped bytes keep it out
 * of the parse only.
 */
export function decodeLine(bytes: Buffer): Decoded {
  const body = startsWithBom(bytes) ? bytes.subarray(3) : bytes;
  if (isBlank(body)) return { kind: 'empty' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return { kind: 'invalid', reason: `not valid JSON: ${(error as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { kind: 'invalid', reason: `not a JSON object but ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}` };
  }
  return { kind: 'event', event: parsed as AuditEvent };
}

// Both checks run on every line: plain indexed reads, no subarray or iterator per line.
function startsWithBom(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

function isBlank(bytes: Buffer): boolean {
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  }
  return true;
}
