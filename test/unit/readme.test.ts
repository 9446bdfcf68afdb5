import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { settingsBlock } from '../../scripts/settings-table.js';

describe('README', () => {
  const readme = readFileSync('README.md', 'utf8');

  it('documents every setting of run, as --help defines it (regenerate with scripts/settings-table.ts --write README.md)', () => {
    assert.ok(readme.includes(settingsBlock()), 'the settings block in README.md is out of date');
  });

  it('gives make run and make test as the two set-up commands', () => {
    assert.match(readme, /^make run\b/m);
    assert.match(readme, /^make test\b/m);
  });
});
