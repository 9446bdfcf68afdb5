import assert from 'node:assert/strict';
import { HintScanner } from '../../../src/rules/redaction/hint-scanner.js';

describe('redaction hint scanner', () => {
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
});
