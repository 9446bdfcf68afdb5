import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureUsableDirectory, UnusableDirectoryError } from '../../../src/checkpoint/usable-directory.js';

describe('ensureUsableDirectory', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'kaf-dir-'));

  it('creates every missing level', () => {
    const nested = path.join(root, 'a', 'b', 'c');
    ensureUsableDirectory(nested);
    assert.ok(statSync(nested).isDirectory());
    ensureUsableDirectory(nested); // and accepts it as it is now
  });

  it('fails, rather than looping, on a path that cannot be created under /proc', () => {
    assert.throws(() => ensureUsableDirectory('/proc/kaf-cannot-exist/checkpoint'), (error: unknown) => {
      return error instanceof UnusableDirectoryError && /^cannot create \/proc\/kaf-cannot-exist: /.test(error.message);
    });
  });

  it('fails on a regular file, also when it is an ancestor', () => {
    const file = path.join(root, 'file');
    writeFileSync(file, 'not a directory');
    for (const target of [file, path.join(file, 'below')]) {
      assert.throws(() => ensureUsableDirectory(target), (error: unknown) => {
        return error instanceof UnusableDirectoryError && error.message === `${file} exists and is not a directory`;
      });
    }
  });
});
