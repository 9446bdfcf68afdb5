import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Encoder } from '@msgpack/msgpack';
import { GrowableBuffer } from '../../../../src/sinks/forward/growable-buffer.js';
import { JsonToMsgpack } from '../../../../src/sinks/forward/json-to-msgpack.js';
import { AuditEventFactory, readRealAuditLines } from '../../../helpers/audit-event-factory.js';
import { CORPUS_DIR, jsonLinesCorpusFiles, rawLines } from '../../../helpers/corpus.js';

/** What the forward sink shipped before the transcoder: @msgpack/msgpack's encoding of the parsed event. */
function viaJsonParse(json: Buffer | string): Buffer {
  const bytes = typeof json === 'string' ? Buffer.from(json, 'utf8') : json;
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  return Buffer.from(new Encoder({ maxDepth: 100_000 }).encode(JSON.parse(body.toString('utf8'))));
}

/** The transcoder's output for `json`, or undefined when it leaves the input to JSON.parse. */
function transcoded(json: Buffer | string, transcoder = new JsonToMsgpack()): Buffer | undefined {
  const output = new GrowableBuffer(16);
  return transcoder.append(typeof json === 'string' ? Buffer.from(json, 'utf8') : json, output)
    ? Buffer.from(output.bytes.subarray(0, output.length))
    : undefined;
}

function assertSameAsEncoder(json: Buffer | string, what = String(json).slice(0, 80)): void {
  const actual = transcoded(json);
  assert.ok(actual, `transcoded: ${what}`);
  assert.deepEqual(actual.toString('hex'), viaJsonParse(json).toString('hex'), what);
}

function assertLeftToJsonParse(json: Buffer | string, what = String(json).slice(0, 80)): void {
  assert.equal(transcoded(json), undefined, `left to JSON.parse: ${what}`);
}

describe('JsonToMsgpack (JSON bytes to the msgpack @msgpack/msgpack makes of JSON.parse)', () => {
  it('gives the same bytes for every event of the shared corpus of real audit logs', function () {
    if (!existsSync(CORPUS_DIR)) this.skip();
    let events = 0;
    for (const file of jsonLinesCorpusFiles()) {
      for (const line of rawLines(file)) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line.toString('utf8').replace(/^\uFEFF/, ''));
        } catch {
          continue; // the corpus keeps some broken lines on purpose; the decoder rejects those
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) continue;
        assertSameAsEncoder(line, `${file} line ${events}`);
        events += 1;
      }
    }
    assert.ok(events > 300, `only ${events} events in the corpus`);
  });

  it('gives the same bytes for the lines of the benchmark corpus (seeded generator, bodies and large lists)', () => {
    const realLines = existsSync(CORPUS_DIR) ? readRealAuditLines(CORPUS_DIR) : [];
    const factory = new AuditEventFactory({ seed: 1, realLines, requestResponseFraction: 0.3 });
    for (const line of factory.lines(3000)) assertSameAsEncoder(line);
  });

  it('encodes numbers as the encoder does: safe integers in the smallest int format, everything else float64', () => {
    const numbers = [
      '0', '-0', '1', '-1', '1.0', '-1.0', '0.0', '-0.0', '0e0', '1e2', '1E2', '1e+2', '100e-2', '1e-2', '1.5', '-1.5', '0.1',
      '31', '127', '128', '255', '256', '65535', '65536', '4294967295', '4294967296', '-31', '-32', '-33', '-127', '-128',
      '-129', '-32768', '-32769', '-2147483648', '-2147483649', '123456789012345', '1234567890123456', '-1234567890123456',
      '9007199254740991', '-9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740992',
      '12345678901234567890', '1e21', '1e20', '1e-7', '5e-324', '1.7976931348623157e308', '1e400', '-1e400', '123.456e3',
    ];
    for (const number of numbers) assertSameAsEncoder(`{"n":${number}}`, number);
    assert.equal(transcoded('{"n":-0}')!.toString('hex'), '81a16e00', '-0 is the integer 0, as Number.isSafeInteger(-0) says');
    assert.equal(transcoded('{"n":1e21}')![3], 0xcb, '1e21 is a float64');
    assert.equal(transcoded('{"n":1.0}')!.toString('hex'), '81a16e01', '1.0 is the integer 1');
  });

  it('decodes escapes to UTF-8, joining surrogate pairs, and keeps raw UTF-8 as it is', () => {
    const strings = [
      '""', '"\\"\\\\\\/\\b\\f\\n\\r\\t"', '"\\u0000\\u001f\\u0041\\u00e9\\u00E9\\u20ac\\uffff"', '"\\uD83D\\uDE00"',
      '"\\ud83d\\ude00 and \\uD83D\\uDE00"', '"é€😀 raw"', '"a\\u00e9b"', '"\\\\u0041 is not an escape"',
    ];
    for (const string of strings) {
      assertSameAsEncoder(`{"s":${string}}`, string);
      assertSameAsEncoder(`{${string}:1}`, `${string} as a key`);
    }
    assert.equal(transcoded('{"s":"\\uD83D\\uDE00"}')!.subarray(3).toString('hex'), 'a4f09f9880', 'one 4-byte character');
  });

  it('writes a lone surrogate as the encoder does: 3-byte form up to 50 UTF-16 units, U+FFFD beyond', () => {
    for (const escape of ['\\uD800', '\\uDBFF', '\\uDC00', '\\uDFFF', '\\uD800\\uD800', '\\uDC00\\uD800', '\\uD800x', '\\uD800é', '\\uD800😀']) {
      for (const padding of [0, 10, 48, 49, 50, 51, 60, 300]) {
        assertSameAsEncoder(`{"s":"${'p'.repeat(padding)}${escape}"}`, `${escape} after ${padding}`);
      }
    }
    assert.equal(transcoded('{"s":"\\uD800"}')!.subarray(3).toString('hex'), 'a3eda080');
    assert.equal(transcoded(`{"s":"${'p'.repeat(50)}\\uD800"}`)!.subarray(-3).toString('hex'), 'efbfbd');
  });

  it('picks str, map and array headers by the decoded size, at every boundary', () => {
    for (const length of [0, 1, 31, 32, 33, 255, 256, 257, 65535, 65536]) {
      const plain = 'x'.repeat(length);
      assertSameAsEncoder(`{"s":"${plain}"}`, `plain string of ${length}`);
      // Escapes make the raw text longer than the decoded string: the header is chosen by the latter.
      const escaped = '\\n'.repeat(length);
      assertSameAsEncoder(`{"s":"${escaped}"}`, `escaped string of ${length}`);
      assertSameAsEncoder(`{"${escaped}":"${plain}"}`, `key of ${length}`);
    }
    for (const count of [0, 1, 15, 16, 17, 65535, 65536]) {
      const items = Array.from({ length: count }, (_, index) => index % 100);
      assertSameAsEncoder(JSON.stringify({ a: items }), `array of ${count}`);
      const map = Object.fromEntries(items.map((_, index) => [`k${index}`, index % 100]));
      assertSameAsEncoder(JSON.stringify(map), `map of ${count}`);
    }
  });

  it('handles empty and nested containers, literals and whitespace anywhere JSON allows it', () => {
    const documents = [
      '{}', '{"a":{}}', '{"a":[]}', '{"a":[[],{},[{}]]}', '{"t":true,"f":false,"n":null}', '{"__proto__":{"x":1},"constructor":2}',
      ' \t\r\n{ "a" : [ 1 , 2 , { } ] , "b" : "c" } \r\n', '\uFEFF{"bom":"stripped as the decoder does"}',
      '{"a":"4294967295","4294967295":1,"01":2,"-1":3,"1.5":4," 1":5,"1 ":6}',
    ];
    for (const document of documents) assertSameAsEncoder(document);
  });

  it('transcodes 5 000 levels of nesting (the recursive encoder runs out of stack at a few thousand)', () => {
    const depth = 5000;
    const arrays = transcoded(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    assert.deepEqual(arrays, Buffer.concat([Buffer.from('81a161', 'hex'), Buffer.alloc(depth - 1, 0x91), Buffer.from([0x90])]));
    const maps = transcoded(`${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}`);
    assert.deepEqual(maps, Buffer.concat([Buffer.alloc(depth * 3, Buffer.from('81a161', 'hex')), Buffer.from([0x80])]));
  });

  it('widens the headers of many nested large containers to the same bytes as the encoder', () => {
    // 1 500 levels, each an array of 16 or a map of 17: every header on the path needs widening.
    let json = '0';
    for (let level = 0; level < 1500; level++) {
      json = level % 2 === 0 ? `[${'1,'.repeat(15)}${json}]` : `{${Array.from({ length: 16 }, (_, k) => `"k${k}":${k},`).join('')}"in":${json}}`;
    }
    assertSameAsEncoder(`{"deep":${json}}`, 'nested wide containers');
  });

  it('leaves objects with duplicate keys to JSON.parse, which keeps the last value at the first place', () => {
    for (const json of ['{"a":1,"a":2}', '{"a":1,"b":2,"a":3}', '{"a":1,"\\u0061":2}', '{"x":{"a":1,"b":{},"a":2}}']) {
      assertLeftToJsonParse(json);
    }
    const many = Array.from({ length: 40 }, (_, index) => `"k${index}":${index}`).join(',');
    assertLeftToJsonParse(`{${many},"k7":0}`, 'a duplicate among 40 keys');
    assertSameAsEncoder(`{${many}}`, '40 distinct keys');
    assertSameAsEncoder('{"a":{"a":1},"b":{"a":2}}', 'the same key in different objects is no duplicate');
  });

  it('leaves objects with array-index keys to JSON.parse, whose Object.keys lists them first', () => {
    for (const json of ['{"b":1,"0":2}', '{"x":{"z":1,"10":2}}', '{"4294967294":1}']) assertLeftToJsonParse(json);
    assert.deepEqual(Object.keys(JSON.parse('{"b":1,"0":2}')), ['0', 'b'], 'why');
  });

  it('leaves lines that are not valid UTF-8 to JSON.parse, whose toString puts U+FFFD in', () => {
    assertLeftToJsonParse(Buffer.concat([Buffer.from('{"s":"a'), Buffer.from([0xff, 0xc3]), Buffer.from('b"}')]));
    assertLeftToJsonParse(Buffer.concat([Buffer.from('{"s":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), 'a raw surrogate');
  });

  it('refuses input that is not one JSON object, so JSON.parse throws for it', () => {
    const invalid = [
      '', '[1]', '"x"', '1', '{', '{"a"}', '{"a":}', '{"a":1,}', '{,}', '{"a":[1,]}', '{"a":tru}', '{"a":nul}', '{"a":01}',
      '{"a":1.}', '{"a":-}', '{"a":1e}', '{"a":.5}', '{"a":"\u0001"}', '{"a":"\\q"}', '{"a":"\\u12G4"}', '{"a":"x}', '{} x',
      '{}{}', '{"a":1 "b":2}', '{"a" 1}', "{'a':1}",
    ];
    for (const json of invalid) assertLeftToJsonParse(json);
  });

  it('appends after what the buffer holds, and leaves it untouched when it declines', () => {
    const transcoder = new JsonToMsgpack();
    const output = new GrowableBuffer(4);
    output.reserve(2);
    output.bytes.set([0xab, 0xcd]);
    output.length = 2;
    assert.equal(transcoder.append(Buffer.from('{"a":1,"a":2}'), output), false);
    assert.equal(output.length, 2);
    assert.ok(transcoder.append(Buffer.from(`{"long":"${'y'.repeat(5000)}"}`), output));
    assert.deepEqual(output.bytes.subarray(0, output.length), Buffer.concat([Buffer.from([0xab, 0xcd]), viaJsonParse(`{"long":"${'y'.repeat(5000)}"}`)]));
  });

  it('captures the string values of chosen top-level fields, decoded, and nothing from nested objects', () => {
    const transcoder = new JsonToMsgpack(['stageTimestamp', 'requestReceivedTimestamp']);
    transcoded('{"stageTimestamp":"2024-05-01T10:00:00.123456Z","nested":{"requestReceivedTimestamp":"x"}}', transcoder);
    assert.equal(transcoder.captured(0), '2024-05-01T10:00:00.123456Z');
    assert.equal(transcoder.captured(1), undefined);
    transcoded(`{"a":[${'{},'.repeat(20)}{}],"requestReceivedTimestamp":"t\\u00e9","stageTimestamp":7}`, transcoder);
    assert.equal(transcoder.captured(0), undefined, 'not a string');
    assert.equal(transcoder.captured(1), 'té');
  });
});
