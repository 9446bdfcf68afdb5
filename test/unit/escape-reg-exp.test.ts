import assert from 'node:assert/strict';
import { escapeRegExp } from '../../src/escape-reg-exp.js';

describe('escapeRegExp', () => {
  const special = '\\^$.*+?()[]{}|/';

  it('makes every character with a meaning in a pattern match only itself, with and without the u flag', () => {
    for (const flags of ['', 'u']) {
      const pattern = new RegExp(`^${escapeRegExp(`a${special}b`)}$`, flags);
      assert.equal(pattern.test(`a${special}b`), true, `flags '${flags}'`);
      assert.equal(pattern.test(`a${special.replace('.', 'x')}b`), false, `flags '${flags}': a dot matches only a dot`);
    }
  });

  it('leaves other text as it is', () => {
    assert.equal(escapeRegExp('audit-2026.log'), 'audit-2026\\.log');
    assert.equal(escapeRegExp('system:anonymous'), 'system:anonymous');
  });
});
