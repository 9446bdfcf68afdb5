/**
 * The JSON line scanner's inner loop, in AssemblyScript, compiled to WebAssembly at build time
 * (`npm run build`: dist/src/pipeline/json-object-scan.wasm) and driven by json-scanner.ts,
 * which copies a line into this module's memory and reads the member tables back. It is the
 * same RFC 8259 grammar as JSON.parse on the UTF-8 decoding of the bytes (see json-scanner.ts);
 * what WebAssembly adds is string bodies, most of an event's bytes, and keys checked sixteen
 * bytes at a time with SIMD compares instead of one table lookup per byte in JavaScript.
 *
 * Not TypeScript for tsc (tsconfig.json leaves *.as.ts out): `load`/`store` read and write this
 * module's memory, `usize` is a 32-bit address.
 */
const QUOTE: u8 = 0x22;
const BACKSLASH: u8 = 0x5c;
const COLON: u8 = 0x3a;
const COMMA: u8 = 0x2c;
const OPEN_BRACE: u8 = 0x7b;
const CLOSE_BRACE: u8 = 0x7d;
const OPEN_BRACKET: u8 = 0x5b;
const CLOSE_BRACKET: u8 = 0x5d;

const INVALID: i32 = -1;

const IN_OBJECT: u8 = 1;
const IN_ARRAY: u8 = 2;

/** The scan's answer when a member table or the nesting stack is full: the host makes room and scans again. */
const NO_ROOM: i32 = -2;

/** How many numbers the last scan wrote to the nested table (json-scanner.ts's NestedMembers). */
let nestedCount: i32 = 0;

export function nestedLength(): i32 {
  return nestedCount;
}

// Audit lines rarely hold whitespace between tokens: one compare rules out most bytes.
@inline function isSpace(byte: u32): bool {
  return byte <= 0x20 && (byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09);
}

@inline function skipWhitespace(index: usize, end: usize): usize {
  while (index < end && isSpace(load<u8>(index))) index += 1;
  return index;
}

/** Where free memory starts, for the host's layout of tables and input. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * From just after an opening quote: the address after the closing quote, or 0 (no address a
 * line is copied to) for a string that is not valid: unterminated, a raw control character, a
 * bad escape.
 */
function skipString(index: usize, end: usize): usize {
  const quote = i8x16.splat(0x22);
  const backslash = i8x16.splat(0x5c);
  const space = i8x16.splat(0x20);
  while (true) {
    // Sixteen bytes at a time while none of them ends the plain run, then byte by byte.
    while (index + 16 <= end) {
      const chunk = v128.load(index);
      const stops = v128.or(v128.or(i8x16.eq(chunk, quote), i8x16.eq(chunk, backslash)), i8x16.lt_u(chunk, space));
      const mask = i8x16.bitmask(stops);
      if (mask != 0) {
        index += <usize>ctz<u32>(mask);
        break;
      }
      index += 16;
    }
    while (index < end) {
      const byte = load<u8>(index);
      if (byte == QUOTE || byte == BACKSLASH || byte < 0x20) break;
      index += 1;
    }
    if (index >= end) return 0;
    const byte = load<u8>(index);
    if (byte == QUOTE) return index + 1;
    if (byte != BACKSLASH) return 0;
    index = skipEscape(index + 1, end);
    if (index == 0) return 0;
  }
  return 0;
}

/** Whether the key skipKey last passed is plain: no escape, no byte of 0x80 or more. */
let keyIsPlain = false;

/**
 * skipString for a key, noting whether it is plain on the way (what locateKey needs to know of a
 * key it did not find): sixteen bytes at a time up to the first that is not plain ASCII, which
 * ends a plain key when it is its closing quote; skipString takes the rest of one that is not.
 */
function skipKey(index: usize, end: usize): usize {
  const quote = i8x16.splat(0x22);
  const backslash = i8x16.splat(0x5c);
  // Signed: bytes of 0x80 and above are negative, below a space like control characters.
  const space = i8x16.splat(0x20);
  while (index + 16 <= end) {
    const chunk = v128.load(index);
    const mask = i8x16.bitmask(v128.or(v128.or(i8x16.eq(chunk, quote), i8x16.eq(chunk, backslash)), i8x16.lt_s(chunk, space)));
    if (mask != 0) {
      index += <usize>ctz<u32>(mask);
      break;
    }
    index += 16;
  }
  while (index < end) {
    const byte = load<u8>(index);
    if (byte == QUOTE) {
      keyIsPlain = true;
      return index + 1;
    }
    if (byte == BACKSLASH || byte < 0x20 || byte >= 0x80) break;
    index += 1;
  }
  keyIsPlain = false;
  return skipString(index, end);
}

function skipEscape(index: usize, end: usize): usize {
  if (index >= end) return 0;
  const byte = load<u8>(index);
  if (byte == 0x22 || byte == 0x5c || byte == 0x2f || byte == 0x62 || byte == 0x66 || byte == 0x6e || byte == 0x72 || byte == 0x74) return index + 1;
  if (byte != 0x75) return 0;
  if (index + 4 >= end) return 0;
  for (let digit = index + 1; digit <= index + 4; digit += 1) if (!isHexDigit(load<u8>(digit))) return 0;
  return index + 5;
}

@inline function isHexDigit(byte: u32): bool {
  const lower = byte | 0x20;
  return (byte >= 0x30 && byte <= 0x39) || (lower >= 0x61 && lower <= 0x66);
}

function skipLiteralOrNumber(index: usize, end: usize): usize {
  const byte = load<u8>(index);
  if (byte == 0x74) return index + 4 <= end && load<u8>(index + 1) == 0x72 && load<u8>(index + 2) == 0x75 && load<u8>(index + 3) == 0x65 ? index + 4 : 0;
  if (byte == 0x66) return index + 5 <= end && load<u8>(index + 1) == 0x61 && load<u8>(index + 2) == 0x6c && load<u8>(index + 3) == 0x73 && load<u8>(index + 4) == 0x65 ? index + 5 : 0;
  if (byte == 0x6e) return index + 4 <= end && load<u8>(index + 1) == 0x75 && load<u8>(index + 2) == 0x6c && load<u8>(index + 3) == 0x6c ? index + 4 : 0;
  return skipNumber(index, end);
}

function skipNumber(index: usize, end: usize): usize {
  if (load<u8>(index) == 0x2d) index += 1;
  if (index >= end) return 0;
  if (load<u8>(index) == 0x30) {
    index += 1;
  } else {
    const digitsEnd = skipDigits(index, end);
    if (digitsEnd == index) return 0;
    index = digitsEnd;
  }
  if (index < end && load<u8>(index) == 0x2e) {
    const digitsEnd = skipDigits(index + 1, end);
    if (digitsEnd == index + 1) return 0;
    index = digitsEnd;
  }
  if (index < end && (load<u8>(index) | 0x20) == 0x65) {
    index += 1;
    if (index < end && (load<u8>(index) == 0x2b || load<u8>(index) == 0x2d)) index += 1;
    const digitsEnd = skipDigits(index, end);
    if (digitsEnd == index) return 0;
    index = digitsEnd;
  }
  return index;
}

@inline function skipDigits(index: usize, end: usize): usize {
  while (index < end && <u32>(load<u8>(index) - 0x30) <= 9) index += 1;
  return index;
}

/**
 * Scans the bytes at [base + start, base + end): one JSON object, optionally surrounded by
 * whitespace. Returns its member count, INVALID, or NO_ROOM. Writes four numbers per top-level
 * member to `members` (key start, key end, value start, value end, as offsets from `base`, so
 * that they index the host's buffer), and when `noteNested` is set, a group per non-empty object
 * value to `nested` (its start, its member count, four numbers per member). The capacities are
 * in members, numbers and nesting levels. `stack` holds the kind of each open container.
 */
export function scan(
  base: usize, start: i32, end_: i32,
  members: usize, membersCap: i32, nested: usize, nestedCap: i32, stack: usize, stackCap: i32,
  noteNested: bool, keys: usize, keyCount: i32, keySlots: usize, keySlotMask: i32, located: usize,
): i32 {
  nestedCount = 0;
  openGroup = -1;
  keysUnlocated = false;
  memberKey = -1;
  groupKey = -1;
  if (noteNested) for (let id = 0; id < keyCount; id += 1) store<i32>(located + (<usize>id << 2), -1);
  const end = base + <usize>end_;
  let index = skipWhitespace(base + <usize>start, end);
  if (index >= end || load<u8>(index) != OPEN_BRACE) return INVALID;
  let memberCount: i32 = 0;
  let depth: i32 = 1;
  store<u8>(stack, IN_OBJECT);
  index = skipWhitespace(index + 1, end);
  if (index < end && load<u8>(index) == CLOSE_BRACE) return skipWhitespace(index + 1, end) == end ? 0 : INVALID;

  while (true) {
    // Here: at a key (inside an object) or at an array element.
    let keyStart: i32 = -1;
    let keyEnd: i32 = -1;
    if (load<u8>(stack + <usize>(depth - 1)) == IN_OBJECT) {
      if (index >= end || load<u8>(index) != QUOTE) return INVALID;
      keyStart = <i32>(index + 1 - base);
      index = skipKey(index + 1, end);
      if (index == 0) return INVALID;
      keyEnd = <i32>(index - 1 - base);
      if (noteNested) {
        if (depth == 1) memberKey = locateKey(base + <usize>keyStart, keyEnd - keyStart, -1, memberCount << 2, keys, keySlots, keySlotMask, located);
        else if (depth == 2 && groupKey >= 0) locateKey(base + <usize>keyStart, keyEnd - keyStart, groupKey, nestedCount, keys, keySlots, keySlotMask, located);
      }
      index = skipWhitespace(index, end);
      if (index >= end || load<u8>(index) != COLON) return INVALID;
      index = skipWhitespace(index + 1, end);
    }
    const valueStart = <i32>(index - base);
    if (index >= end) return INVALID;
    const byte = load<u8>(index);
    if (byte == OPEN_BRACE || byte == OPEN_BRACKET) {
      const close = byte == OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
      index = skipWhitespace(index + 1, end);
      if (index >= end || load<u8>(index) != close) {
        // A non-empty container: noted now, its end once it closes.
        if (depth == 1) {
          if (memberCount >= membersCap) return NO_ROOM;
          writeMember(members + (<usize>memberCount << 4), keyStart, keyEnd, valueStart, -1);
          memberCount += 1;
          if (noteNested && byte == OPEN_BRACE) {
            if (!openNestedGroup(nested, nestedCap, valueStart)) return NO_ROOM;
            groupKey = memberKey;
          }
        } else if (depth == 2 && openGroup >= 0 && !noteNestedMember(nested, nestedCap, keyStart, keyEnd, valueStart, -1)) return NO_ROOM;
        if (depth >= stackCap) return NO_ROOM;
        store<u8>(stack + <usize>depth, byte == OPEN_BRACE ? IN_OBJECT : IN_ARRAY);
        depth += 1;
        continue;
      }
      index += 1;
    } else if (byte == QUOTE) {
      index = skipString(index + 1, end);
    } else {
      index = skipLiteralOrNumber(index, end);
    }
    if (index == 0) return INVALID;
    const valueEnd = <i32>(index - base);
    if (depth == 1) {
      if (memberCount >= membersCap) return NO_ROOM;
      writeMember(members + (<usize>memberCount << 4), keyStart, keyEnd, valueStart, valueEnd);
      memberCount += 1;
    } else if (depth == 2 && openGroup >= 0 && !noteNestedMember(nested, nestedCap, keyStart, keyEnd, valueStart, valueEnd)) return NO_ROOM;

    // After a value: a comma goes on to the next member, closers pop out.
    while (true) {
      index = skipWhitespace(index, end);
      if (index >= end) return INVALID;
      const next = load<u8>(index);
      if (next == COMMA) {
        index = skipWhitespace(index + 1, end);
        break;
      }
      if (next != (load<u8>(stack + <usize>(depth - 1)) == IN_OBJECT ? CLOSE_BRACE : CLOSE_BRACKET)) return INVALID;
      index += 1;
      depth -= 1;
      if (depth == 0) return skipWhitespace(index, end) == end ? memberCount : INVALID;
      // A top-level member's container value ends here: note where.
      if (depth == 1) {
        store<i32>(members + (<usize>(memberCount - 1) << 4), <i32>(index - base), 12);
        openGroup = -1;
        groupKey = -1;
      } else if (depth == 2 && openGroup >= 0) {
        store<i32>(nested + (<usize>(nestedCount - 1) << 2), <i32>(index - base));
      }
    }
  }
  return INVALID;
}

/**
 * Whether the last scan met a key to look up that locateKey cannot match by its bytes (an
 * escape, a non-ASCII byte, the empty key), or a key to locate twice at the top level (a later
 * object would leave the first one's members located): the host then finds the members itself,
 * by decoded name.
 */
let keysUnlocated = false;

export function hasUnlocatedKeys(): bool {
  return keysUnlocated;
}

/** The id of the top-level key being scanned, -1 when it is not one to locate. */
let memberKey: i32 = -1;
/** The id of the top-level key whose object value's members are being noted, or -1. */
let groupKey: i32 = -1;

/**
 * Looks `key` (its bytes between the quotes) up among the keys to locate under `parent` (-1: the
 * top level, else a top-level key's id) and, when it is one, notes at its id in `located` where
 * its member lies: `memberIndex`, an index in the member table or in the nested table. A later
 * member with the same key overwrites it: JSON.parse keeps the last. Returns its id, or -1.
 * `keys` holds four numbers per id (the address and length of its name's bytes, its parent);
 * `keySlots`, open addressing by keySlotOf, holds id + 1 (0: empty).
 */
function locateKey(key: usize, length: i32, parent: i32, memberIndex: i32, keys: usize, keySlots: usize, keySlotMask: i32, located: usize): i32 {
  if (length > 0) {
    let slot = keySlotOf(parent, length, load<u8>(key), load<u8>(key + <usize>(length - 1)), keySlotMask);
    while (true) {
      const entry = load<i32>(keySlots + (<usize>slot << 2));
      if (entry == 0) break;
      const id = entry - 1;
      const name = keys + (<usize>id << 4);
      if (load<i32>(name, 4) == length && load<i32>(name, 8) == parent && memory.compare(<usize>load<i32>(name), key, <usize>length) == 0) {
        const at = located + (<usize>id << 2);
        if (parent < 0 && load<i32>(at) >= 0) keysUnlocated = true;
        store<i32>(at, memberIndex);
        return id;
      }
      slot = (slot + 1) & keySlotMask;
    }
  }
  if (length == 0 || !keyIsPlain) keysUnlocated = true;
  return -1;
}

/** The slot a key's probe starts at; json-scanner.ts places names by the same function. */
@inline function keySlotOf(parent: i32, length: i32, first: u32, last: u32, mask: i32): i32 {
  return <i32>((((<u32>length * 0x9e3779b1) ^ (first * 0x85ebca6b) ^ (last * 0xc2b2ae35) ^ (<u32>(parent + 1) * 0x27d4eb2f)) >> 7) & <u32>mask);
}


/** Where in the nested table the group being noted starts, or -1 while none is open. */
let openGroup: i32 = -1;

@inline function writeMember(at: usize, keyStart: i32, keyEnd: i32, valueStart: i32, valueEnd: i32): void {
  store<i32>(at, keyStart);
  store<i32>(at, keyEnd, 4);
  store<i32>(at, valueStart, 8);
  store<i32>(at, valueEnd, 12);
}

/** Opens the group of a top-level object value; false when the table is full. */
function openNestedGroup(nested: usize, nestedCap: i32, objectStart: i32): bool {
  if (nestedCount + 2 > nestedCap) return false;
  openGroup = nestedCount;
  store<i32>(nested + (<usize>nestedCount << 2), objectStart);
  store<i32>(nested + (<usize>nestedCount << 2), 0, 4);
  nestedCount += 2;
  return true;
}

/** Adds a member to the open group; false when the table is full. */
function noteNestedMember(nested: usize, nestedCap: i32, keyStart: i32, keyEnd: i32, valueStart: i32, valueEnd: i32): bool {
  if (nestedCount + 4 > nestedCap) return false;
  writeMember(nested + (<usize>nestedCount << 2), keyStart, keyEnd, valueStart, valueEnd);
  nestedCount += 4;
  const header = nested + (<usize>(openGroup + 1) << 2);
  store<i32>(header, load<i32>(header) + 1);
  return true;
}
