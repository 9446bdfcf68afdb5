import assert from 'node:assert/strict';
import { UnreadableFiles, type EntryStamp, type FailedAttempt } from '../../../src/source/unreadable-files.js';

const STAMP: EntryStamp = { dev: 1, ino: 42, size: 100, mtimeMs: 1_000, ctimeMs: 1_000 };

function denied(): NodeJS.ErrnoException {
  return Object.assign(new Error("EACCES: permission denied, open '/var/log/audit.log.1'"), { code: 'EACCES' });
}

function attempt(path: string, stamp: EntryStamp, onDiskAtFirstScan: boolean): FailedAttempt {
  return { path, error: denied(), stamp, onDiskAtFirstScan };
}

describe('UnreadableFiles', () => {
  let now: number;
  let files: UnreadableFiles;
  beforeEach(() => {
    now = 0;
    files = new UnreadableFiles(() => now, { minMs: 1_000, maxMs: 4_000 });
  });

  it('says to report a file the first time it fails only, and keeps its errno code and when it started', () => {
    assert.equal(files.failed('/log/a', attempt('/log/a', STAMP, true)), true);
    now = 5_000;
    assert.equal(files.failed('/log/a', attempt('/log/a', STAMP, false)), false);
    const [file] = files.list();
    assert.deepEqual([file!.path, file!.code, file!.sinceMs, file!.attempts, file!.onDiskAtFirstScan], ['/log/a', 'EACCES', 0, 2, true]);
  });

  it('waits longer after every failure of an unchanged file, up to the cap', () => {
    const waits: number[] = [];
    for (let failure = 0; failure < 5; failure += 1) {
      files.failed('/log/a', attempt('/log/a', STAMP, false));
      const from = now;
      while (!files.retryDue('/log/a', STAMP)) now += 250;
      waits.push(now - from);
    }
    assert.deepEqual(waits, [1_000, 2_000, 4_000, 4_000, 4_000]);
  });

  it('is due at once when stat shows the file changed (a chmod moves its change time)', () => {
    files.failed('/log/a', attempt('/log/a', STAMP, false));
    assert.equal(files.retryDue('/log/a', STAMP), false);
    assert.equal(files.retryDue('/log/a', { ...STAMP, ctimeMs: 2_000 }), true);
    assert.equal(files.retryDue('/log/b', STAMP), true, 'a file never tried is due');
  });

  it('knows which inodes hold an unreadable file, until it is removed', () => {
    files.failed('/log/a', attempt('/log/a', STAMP, false));
    assert.equal(files.atInode(1, 42), true);
    assert.equal(files.atInode(1, 43), false);
    assert.equal(files.remove('/log/a')?.path, '/log/a');
    assert.equal(files.atInode(1, 42), false);
    assert.equal(files.remove('/log/a'), undefined);
  });

  it('does not take another inode at the name for the file that was there at the first scan', () => {
    files.failed('/log/a', attempt('/log/a', STAMP, true));
    files.failed('/log/a', attempt('/log/a', { ...STAMP, ino: 43 }, false));
    assert.equal(files.get('/log/a')?.onDiskAtFirstScan, false);
  });
});
