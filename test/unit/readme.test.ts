import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

describe('README', () => {
  const readme = readFileSync('README.md', 'utf8');

  it('gives make run and make test as the two set-up commands', () => {
    assert.match(readme, /^make run\b/m);
    assert.match(readme, /^make test\b/m);
  });
});
