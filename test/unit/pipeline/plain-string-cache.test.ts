import assert from 'node:assert/strict';
import { isPlainAt, plainStringAt, spells } from '../../../src/pipeline/plain-string-cache.js';

/** The contents of the first JSON string in `text`, as plainStringAt reads them. */
function read(bytes: Buffer, from = 0): string | undefined {
  const start = bytes.indexOf(0x22, from) + 1;
  let end = start;
  while (bytes[end] !== 0x22 || bytes[end - 1] === 0x5c) end += 1;
  return plainStringAt(bytes, start, end);
}

describe('plainStringAt', () => {
  it('reads plain ASCII string contents as JSON.parse would, again and again', () => {
    for (const text of ['create', 'system:serviceaccount:kube-system:replicaset-controller', '', 'a b/c?d=1&e', 'x'.repeat(400)]) {
      const bytes = Buffer.from(JSON.stringify(text));
      assert.equal(read(bytes), text);
      assert.equal(read(bytes), text);
    }
  });

  it('declines contents with an escape or a non-ASCII byte (they need JSON.parse)', () => {
    assert.equal(read(Buffer.from(JSON.stringify('say "hi"'))), undefined);
    assert.equal(read(Buffer.from('"a\\u0041"')), undefined);
    assert.equal(read(Buffer.from(JSON.stringify('café'))), undefined);
  });

  it('never gives a cached string for other bytes: every one of 50 000 distinct values reads back as itself', () => {
    const values = Array.from({ length: 50_000 }, (_, index) => `user-${index.toString(36)}`);
    const bytes = values.map((value) => Buffer.from(JSON.stringify(value)));
    for (let round = 0; round < 2; round += 1) {
      bytes.forEach((line, index) => assert.equal(read(line), values[index]));
    }
  });

  it('reads the bytes it is pointed at inside a larger buffer, not those around them', () => {
    const line = Buffer.from('{"verb":"get","resource":"pods","verb2":"getx"}');
    assert.equal(read(line, line.indexOf('"get"')), 'get');
    assert.equal(read(line, line.indexOf('"getx"')), 'getx');
    assert.equal(read(line, line.indexOf('"get"')), 'get');
  });

  it('calls bytes plain exactly when plainStringAt decodes them: no backslash, no byte above 0x7f', () => {
    for (const text of ['verb', '', 'a\\u0062', 'caf\u00e9', 'system:node:n1']) {
      const bytes = Buffer.from(text);
      assert.equal(isPlainAt(bytes, 0, bytes.length), plainStringAt(bytes, 0, bytes.length) !== undefined, text);
    }
    assert.equal(isPlainAt(Buffer.from('x\\y'), 0, 1), true, 'only the bytes pointed at count');
  });

  it('says whether the bytes at an offset are the characters of a text', () => {
    const bytes = Buffer.from('{"objectRef":1}');
    assert.equal(spells('objectRef', bytes, 2), true);
    assert.equal(spells('objectReg', bytes, 2), false);
  });
});
