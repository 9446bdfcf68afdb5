import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { settingsBlock } from '../../scripts/settings-table.js';

describe('settings reference (docs/settings.md)', () => {
  it('documents every setting of run, as --help defines it (regenerate with scripts/settings-table.ts --write docs/settings.md)', () => {
    const reference = readFileSync('docs/settings.md', 'utf8');
    assert.ok(reference.includes(settingsBlock()), 'the settings block in docs/settings.md is out of date');
  });
});
