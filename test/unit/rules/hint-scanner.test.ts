import assert from 'node:assert/strict';
import { HintScanner } from '../../../src/rules/hint-scanner.js';

describe('hint scanner', () => {
  const scanner = new HintScanner(['"Secret', '"secrets"', '"token"', '"TokenRe'].map((text) => Buffer.from(text)));

  it('finds any hint in one pass, at the start, in the middle or at the very end of a line', () => {
    assert.equal(scanner.foundIn(Buffer.from('"Secret":1')), true);
    assert.equal(scanner.foundIn(Buffer.from('{"kind":"SecretList","items":[]}')), true);
    assert.equal(scanner.foundIn(Buffer.from('{"objectRef":{"resource":"secrets"}}')), true);
    assert.equal(scanner.foundIn(Buffer.from('{"spec":{"token"')), true);
  });

  it('finds nothing in a line without the hints, even with look-alikes and a hint cut off at the end', () => {
    assert.equal(scanner.foundIn(Buffer.from('{"objectRef":{"resource":"secretstores"},"tokens":1,"kind":"Secre')), false);
    assert.equal(scanner.foundIn(Buffer.from('{"verb":"get","user":{"username":"token-reviewer"}}')), false);
    assert.equal(scanner.foundIn(Buffer.from('"')), false);
  });

  it('marks each hint found in a stretch of a line, hints outside it and cut off at its end not', () => {
    const body = new HintScanner(['"spec"', '"privileged"', '\\u', '\\/', '"hostPID"'].map((text) => Buffer.from(text)));
    const line = Buffer.from('{"requestObject":{"spec":{"x":"a\\u0041"},"privileged":true},"hostPID":1}');
    const start = line.indexOf('{"spec"');
    const found: boolean[] = [true, true, true, true, true];
    body.markFound(line, start, line.indexOf('"privileged"') + 5, found);
    assert.deepEqual(found, [true, false, true, false, false], '"privileged" is cut off by the end, "hostPID" lies after it');
    body.markFound(line, 0, line.length, found);
    assert.deepEqual(found, [true, true, true, false, true]);
  });

  it('matches hints literally: characters that mean something in a regular expression, and bytes beyond ASCII', () => {
    const literal = new HintScanner(['".*"', '(a|b)', '\\u', 'caf\u00e9'].map((text) => Buffer.from(text)));
    const found: boolean[] = [];
    const without = Buffer.from('{"x":"ab","y":"a","z":"\\n"}');
    literal.markFound(without, 0, without.length, found);
    assert.deepEqual(found, [false, false, false, false], 'no hint is in it, though `.*` and `(a|b)` read as patterns would match');
    const withAll = Buffer.from('{".*":"(a|b)","k":"\\u00e9","n":"café"}');
    literal.markFound(withAll, 0, withAll.length, found);
    assert.deepEqual(found, [true, true, true, true]);
    assert.equal(literal.foundIn(Buffer.from('{"n":"cafe\u0301"}')), false, 'the UTF-8 bytes of é are not those of e and a combining accent');
  });

  it('finds hints that share their start or overlap', () => {
    const overlapping = new HintScanner(['"host', '"hostPath"', 'abab', 'baba'].map((text) => Buffer.from(text)));
    const found: boolean[] = [];
    const line = Buffer.from('{"hostPath":{},"v":"ababa"}');
    overlapping.markFound(line, 0, line.length, found);
    assert.deepEqual(found, [true, true, true, true]);
  });

  it('finds a hint in a line of several mebibytes, also where it straddles the boundary of the stretches read at a time', () => {
    const hint = '"privileged"';
    const scanner = new HintScanner([Buffer.from(hint), Buffer.from('"hostPID"')]);
    for (const at of [(1 << 20) - 5, (1 << 20) - hint.length, 1 << 20, 3 * (1 << 20) - 3, 5 * (1 << 20) - hint.length]) {
      const line = Buffer.alloc(5 * (1 << 20), 'x');
      line.write(hint, at, 'latin1');
      const found: boolean[] = [];
      scanner.markFound(line, 0, line.length, found);
      assert.deepEqual(found, [true, false], `hint at byte ${at}`);
      assert.equal(scanner.foundIn(line), true);
      scanner.markFound(line, 0, at + hint.length - 1, found);
      assert.deepEqual(found, [false, false], `hint at byte ${at}, cut off by the end of the stretch`);
    }
  });
});
