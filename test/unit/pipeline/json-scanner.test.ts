import assert from 'node:assert/strict';
import { INVALID, MEMBER_FIELDS, membersOfLastScan, NESTED_GROUP_HEADER, nestedOfLastScan, scanJsonObject, type MemberTable } from '../../../src/pipeline/json-scanner.js';
import { jsonLinesCorpusFiles, rawLines } from '../../helpers/corpus.js';
import { SeededRandom } from '../../helpers/seeded-random.js';

/** What JSON.parse says of the same bytes: is it one JSON object? */
function parsesToObject(bytes: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

function scan(bytes: Buffer): { valid: boolean; members: MemberTable } {
  const count = scanJsonObject(bytes);
  return { valid: count !== INVALID, members: count === INVALID ? [] : membersOfLastScan(count) };
}

function memberTexts(text: string): Array<[string, string]> {
  const bytes = Buffer.from(text);
  const scanned = scan(bytes);
  assert.ok(scanned.valid, `rejected ${text}`);
  const pairs: Array<[string, string]> = [];
  for (let at = 0; at < scanned.members.length; at += MEMBER_FIELDS) {
    const [keyStart, keyEnd, valueStart, valueEnd] = scanned.members.slice(at, at + MEMBER_FIELDS);
    pairs.push([bytes.toString('utf8', keyStart, keyEnd), bytes.toString('utf8', valueStart, valueEnd)]);
  }
  return pairs;
}

const corpusLines = jsonLinesCorpusFiles().flatMap((file) => rawLines(file).map((line) => (line[0] === 0xef ? line.subarray(3) : line)));

describe('scanJsonObject', () => {
  it('notes each top-level key and the exact bytes of its value, nested containers included', () => {
    assert.deepEqual(memberTexts(' {"a" : 1, "b":{"c":[1,{"d":"}"}]} ,"e":[],"f":"x\\"y","g":null,"h":-0.5e+3}\r'), [
      ['a', '1'],
      ['b', '{"c":[1,{"d":"}"}]}'],
      ['e', '[]'],
      ['f', '"x\\"y"'],
      ['g', 'null'],
      ['h', '-0.5e+3'],
    ]);
  });

  it('notes, when asked, the members of each non-empty top-level object value with the bytes of their values', () => {
    const bytes = Buffer.from(' {"a":{"b" : "x", "c":{"d":[1,{}]},"e":[]} ,"f":[{"g":1}],"h":{},"i":{ "j" : null }}');
    assert.notEqual(scanJsonObject(bytes, 0, bytes.length, true), INVALID);
    const nested = nestedOfLastScan();
    const groups: Array<[string, Array<[string, string]>]> = [];
    for (let at = 0; at < nested.length; at += NESTED_GROUP_HEADER + nested[at + 1]! * MEMBER_FIELDS) {
      const members: Array<[string, string]> = [];
      for (let member = at + NESTED_GROUP_HEADER; member < at + NESTED_GROUP_HEADER + nested[at + 1]! * MEMBER_FIELDS; member += MEMBER_FIELDS) {
        members.push([bytes.toString('utf8', nested[member], nested[member + 1]), bytes.toString('utf8', nested[member + 2], nested[member + 3])]);
      }
      groups.push([bytes.toString('utf8', nested[at], nested[at] + 4), members]);
    }
    assert.deepEqual(groups, [
      ['{"b"', [['b', '"x"'], ['c', '{"d":[1,{}]}'], ['e', '[]']]],
      ['{ "j', [['j', 'null']]],
    ]);
  });

  it('notes the same nested members as a scan of each top-level object value on its own, on every corpus line', () => {
    for (const line of corpusLines) {
      const count = scanJsonObject(line, 0, line.length, true);
      if (count === INVALID) continue;
      const members = membersOfLastScan(count);
      const nested = [...nestedOfLastScan()];
      const expected: number[] = [];
      for (let at = 0; at < members.length; at += MEMBER_FIELDS) {
        const [start, end] = [members[at + 2]!, members[at + 3]!];
        if (line[start] !== 0x7b) continue;
        const inner = scanJsonObject(line, start, end);
        if (inner > 0) expected.push(start, inner, ...membersOfLastScan(inner));
      }
      assert.deepEqual(nested, expected, line.toString('utf8').slice(0, 200));
    }
  });

  it('accepts an empty object and reports no members', () => {
    assert.deepEqual(memberTexts('{}'), []);
    assert.deepEqual(memberTexts('{ "a" : { } }'), [['a', '{ }']]);
  });

  it('keeps repeated keys as separate members, in line order', () => {
    assert.deepEqual(memberTexts('{"a":1,"a":2}'), [
      ['a', '1'],
      ['a', '2'],
    ]);
  });

  it('accepts nesting far deeper than any audit event (20 000 levels)', () => {
    const deep = `{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    assert.equal(scan(Buffer.from(deep)).valid, true);
  });

  it('grows its tables for lines with more top-level members and more nested members than they start with', () => {
    const members = Array.from({ length: 5000 }, (_, index) => `"k${index}":${index}`);
    const nestedMembers = Array.from({ length: 20_000 }, (_, index) => `"n${index}":"v"`);
    const line = Buffer.from(`{${members.join(',')},"o":{${nestedMembers.join(',')}}}`);
    const count = scanJsonObject(line, 0, line.length, true);
    assert.equal(count, 5001);
    const table = membersOfLastScan(count);
    assert.equal(line.toString('utf8', table[4999 * MEMBER_FIELDS + 2], table[4999 * MEMBER_FIELDS + 3]), '4999');
    const nested = nestedOfLastScan();
    assert.equal(nested[1], 20_000);
    assert.equal(line.toString('utf8', nested[NESTED_GROUP_HEADER + 19_999 * MEMBER_FIELDS], nested[NESTED_GROUP_HEADER + 19_999 * MEMBER_FIELDS + 1]), 'n19999');
  });

  it('scans a line larger than the memory it keeps between lines (80 MiB), and the lines after it', () => {
    const length = 80 * 1024 * 1024;
    const huge = Buffer.from(`{"a":"${'x'.repeat(length)}","b":true}`);
    const { members } = scan(huge);
    assert.deepEqual(members.slice(0, MEMBER_FIELDS), [2, 3, 5, 5 + length + 2]);
    assert.equal(huge.toString('utf8', members[4], members[5]), 'b');
    assert.equal(huge.toString('utf8', members[6], members[7]), 'true');
    assert.deepEqual(memberTexts('{"after":"the huge line"}'), [['after', '"the huge line"']]);
  });

  it('finds a quote, an escape or a raw control character at every position of a long string, as JSON.parse does', () => {
    for (let position = 0; position < 48; position += 1) {
      for (const inserted of ['\\"', '\\n', '\\u00e9', '\t', '\u0001', '"']) {
        const text = `{"a":"${'y'.repeat(position)}${inserted}${'z'.repeat(40)}"}`;
        const bytes = Buffer.from(text);
        assert.equal(scan(bytes).valid, parsesToObject(bytes), text);
      }
    }
  });

  const invalid: Array<[string, string]> = [
    ['', 'nothing'],
    ['[1]', 'an array'],
    ['"x"', 'a bare string'],
    ['null', 'null'],
    ['{', 'an unclosed object'],
    ['{"a":1', 'a truncated write'],
    ['{"a":1,}', 'a trailing comma'],
    ['{"a":[1,]}', 'a trailing comma in an array'],
    ['{"a":01}', 'a leading zero'],
    ['{"a":1.}', 'a number without fraction digits'],
    ['{"a":.5}', 'a number without integer digits'],
    ['{"a":1e}', 'an exponent without digits'],
    ['{"a":-}', 'a lone minus'],
    ['{"a":+1}', 'a plus sign'],
    ['{"a":tru}', 'a cut literal'],
    ['{"a":nulls}', 'a literal with trailing letters'],
    ['{"a":"\\x"}', 'an unknown escape'],
    ['{"a":"\\u12G4"}', 'a bad unicode escape'],
    ['{"a":"tab\there"}', 'a raw control character in a string'],
    ['{"a":1}{"b":2}', 'two objects on one line'],
    ['{"a":1} x', 'garbage after the object'],
    ['{a:1}', 'an unquoted key'],
    ["{'a':1}", 'single quotes'],
    ['{"a" 1}', 'a missing colon'],
    ['{"a":1 "b":2}', 'a missing comma'],
    ['{"a":[}', 'mismatched brackets'],
    ['{"a":1]', 'a closing bracket for an object'],
    ['{"a":\u00a01}', 'a non-breaking space as whitespace'],
  ];
  for (const [text, what] of invalid) {
    it(`rejects ${what}, as JSON.parse does`, () => {
      assert.equal(scan(Buffer.from(text)).valid, false);
      assert.equal(parsesToObject(Buffer.from(text)), false);
    });
  }

  it('accepts every escape JSON allows and bytes that are not UTF-8, as JSON.parse does', () => {
    const line = Buffer.concat([Buffer.from('{"a":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00 '), Buffer.from([0xff, 0xc3]), Buffer.from('"}')]);
    assert.equal(scan(line).valid, true);
    assert.equal(parsesToObject(line), true);
  });

  it('accepts every real event of the shared corpus, with the keys and values JSON.parse finds', () => {
    assert.ok(corpusLines.length > 100);
    for (const line of corpusLines) {
      const scanned = scan(line);
      assert.ok(scanned.valid, line.subarray(0, 100).toString());
      const parsed = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
      const keys: string[] = [];
      for (let at = 0; at < scanned.members.length; at += MEMBER_FIELDS) {
        const key = JSON.parse(line.toString('utf8', scanned.members[at]! - 1, scanned.members[at + 1]! + 1)) as string;
        keys.push(key);
        assert.deepEqual(JSON.parse(line.toString('utf8', scanned.members[at + 2], scanned.members[at + 3])), parsed[key]);
      }
      assert.deepEqual(keys, Object.keys(parsed));
    }
  });

  it('agrees with JSON.parse on 40 000 randomly damaged corpus lines (cut, bytes changed, inserted, removed)', () => {
    const random = new SeededRandom(6);
    const structural = [...'{}[]:,"\\ 0123456789-+.eEtfn\t\r'].map((char) => char.charCodeAt(0)).concat([0x00, 0x1f, 0x80, 0xff]);
    let rejected = 0;
    for (let round = 0; round < 40_000; round += 1) {
      const line = corpusLines[random.int(0, corpusLines.length - 1)]!;
      const at = random.int(0, line.length - 1);
      const byte = structural[random.int(0, structural.length - 1)]!;
      let damaged: Buffer;
      switch (random.int(0, 3)) {
        case 0:
          damaged = line.subarray(0, at);
          break;
        case 1:
          damaged = Buffer.from(line);
          damaged[at] = byte;
          break;
        case 2:
          damaged = Buffer.concat([line.subarray(0, at), Buffer.from([byte]), line.subarray(at)]);
          break;
        default:
          damaged = Buffer.concat([line.subarray(0, at), line.subarray(at + 1)]);
      }
      const valid = scan(damaged).valid;
      assert.equal(valid, parsesToObject(damaged), `disagreement on ${damaged.toString('utf8')}`);
      if (!valid) rejected += 1;
    }
    assert.ok(rejected > 10_000, `only ${rejected} damaged lines were invalid: the damage is too mild to prove anything`);
  });
});
