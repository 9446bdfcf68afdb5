import type { AuditRecord } from '../audit-record.js';

/**
 * Adds one annotation to an event and to the bytes that will be shipped, splicing it into the
 * original JSON instead of re-serialising: everything else stays byte-identical (Go's `\u0026`
 * escapes, number formatting, key order), which matters to consumers that hash or diff events.
 *
 * The splice relies on one scan of the top-level object. When it cannot be done safely (the
 * annotation is already there, `annotations` is not an object, or the scan disagrees with the
 * parsed event), the event is re-serialised instead, which is still correct JSON.
 */
export function addAnnotation(record: AuditRecord, key: string, value: string): void {
  const existing = record.event.annotations;
  const member = `${JSON.stringify(key)}:${JSON.stringify(value)}`;
  if (existing === undefined) {
    const layout = scanTopLevel(record.value);
    record.event.annotations = { [key]: value };
    if (layout && layout.annotationsOpen < 0) {
      const prefix = layout.hasMembers ? ',' : '';
      record.value = splice(record.value, layout.objectClose, `${prefix}"annotations":{${member}}`);
      return;
    }
  } else if (isPlainObject(existing) && !Object.hasOwn(existing, key)) {
    existing[key] = value;
    const layout = scanTopLevel(record.value);
    if (layout && layout.annotationsOpen >= 0) {
      const suffix = layout.annotationsEmpty ? '' : ',';
      record.value = splice(record.value, layout.annotationsOpen + 1, `${member}${suffix}`);
      return;
    }
  } else if (isPlainObject(existing)) {
    existing[key] = value;
  } else {
    record.event.annotations = { [key]: value };
  }
  record.value = Buffer.from(JSON.stringify(record.event));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function splice(bytes: Buffer, at: number, text: string): Buffer {
  return Buffer.concat([bytes.subarray(0, at), Buffer.from(text), bytes.subarray(at)]);
}

interface TopLevelLayout {
  /** Index of the `}` closing the event object. */
  objectClose: number;
  hasMembers: boolean;
  /** Index of the `{` opening the (last) top-level `annotations` value, or -1. */
  annotationsOpen: number;
  annotationsEmpty: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const ANNOTATIONS_KEY = Buffer.from('"annotations"');

/**
 * Walks the top level of a JSON object (the bytes are known to be valid JSON: they were parsed)
 * and finds where its members and its `annotations` object are. Undefined if the value is not an
 * object.
 */
function scanTopLevel(bytes: Buffer): TopLevelLayout | undefined {
  let index = skipWhitespace(bytes, 0);
  if (bytes[index] !== OPEN_BRACE) return undefined;
  const layout: TopLevelLayout = { objectClose: -1, hasMembers: false, annotationsOpen: -1, annotationsEmpty: false };
  let depth = 0;
  let keyStart = -1;
  let keyEnd = -1;
  let expectKey = false;
  for (; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (byte === QUOTE) {
      const start = index;
      index = endOfString(bytes, index);
      if (depth === 1 && expectKey) {
        keyStart = start;
        keyEnd = index + 1;
        layout.hasMembers = true;
      }
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth += 1;
      if (depth === 1) expectKey = true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth -= 1;
      if (depth === 0) {
        layout.objectClose = index;
        return layout;
      }
    } else if (depth === 1 && byte === COMMA) {
      expectKey = true;
    } else if (depth === 1 && byte === COLON) {
      expectKey = false;
      if (ANNOTATIONS_KEY.equals(bytes.subarray(keyStart, keyEnd))) {
        const valueStart = skipWhitespace(bytes, index + 1);
        if (bytes[valueStart] === OPEN_BRACE) {
          layout.annotationsOpen = valueStart;
          layout.annotationsEmpty = bytes[skipWhitespace(bytes, valueStart + 1)] === CLOSE_BRACE;
        } else {
          layout.annotationsOpen = -1;
        }
      }
    }
  }
  return undefined;
}

function endOfString(bytes: Buffer, openQuote: number): number {
  for (let index = openQuote + 1; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (byte === BACKSLASH) index += 1;
    else if (byte === QUOTE) return index;
  }
  return bytes.length;
}

function skipWhitespace(bytes: Buffer, from: number): number {
  let index = from;
  // 0xEF 0xBB 0xBF is a UTF-8 byte-order mark, seen at the start of some exported samples.
  if (index === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) index = 3;
  while (index < bytes.length && (bytes[index] === 0x20 || bytes[index] === 0x0a || bytes[index] === 0x0d || bytes[index] === 0x09)) {
    index += 1;
  }
  return index;
}
