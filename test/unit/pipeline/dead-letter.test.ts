import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UnusableDirectoryError } from '../../../src/checkpoint/usable-directory.js';
import { DeadLetterFile } from '../../../src/pipeline/dead-letter.js';

const entry = { file: '/var/log/audit.log', offset: 7, reason: 'invalid', line: Buffer.from('not json'), originalBytes: 8 };

describe('dead-letter file', () => {
  it('creates its directory, missing levels included, on the first line', () => {
    const directory = path.join(mkdtempSync(path.join(tmpdir(), 'kaf-dl-')), 'a', 'b');
    const file = new DeadLetterFile(directory);
    file.write(entry);
    file.close();
    assert.match(readFileSync(path.join(directory, 'dead-letter.jsonl'), 'utf8'), /"line":"not json"/);
  });

  it('fails on a directory that cannot be created instead of spinning in a recursive mkdir (a path under /proc)', () => {
    assert.throws(() => new DeadLetterFile('/proc/kaf-cannot-exist/kafka').write(entry), UnusableDirectoryError);
  });
});
