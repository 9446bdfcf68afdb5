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
});
