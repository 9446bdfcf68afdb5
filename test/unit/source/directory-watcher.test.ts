import assert from 'node:assert/strict';
import { closeSync, openSync, writeSync } from 'node:fs';
import { appendFile, mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DirectoryWatcher, WATCH_POLL_INTERVAL_MS } from '../../../src/source/directory-watcher.js';

describe('DirectoryWatcher', () => {
  /** Long enough for chokidar to poll a few times after a change. */
  const SETTLE_MS = WATCH_POLL_INTERVAL_MS * 4;
  let watcher: DirectoryWatcher | undefined;

  afterEach(async () => {
    await watcher?.stop();
    watcher = undefined;
  });

  async function watchedDirectory(): Promise<{ dir: string; grew: () => number; changed: () => number }> {
    const dir = await mkdtemp(path.join(tmpdir(), 'kaf-watch-'));
    await writeFile(path.join(dir, 'audit.log'), '{"auditID":"1"}\n');
    await writeFile(path.join(dir, 'kube-apiserver.log'), 'not ours\n');
    let grew = 0;
    let changed = 0;
    watcher = new DirectoryWatcher(
      path.join(dir, 'audit.log'),
      { onFileGrew: () => (grew += 1), onFilesChanged: () => (changed += 1), onWatchFailed: () => undefined },
    );
    watcher.start();
    await sleep(SETTLE_MS); // chokidar's initial listing
    return { dir, grew: () => grew, changed: () => changed };
  }

  it('reports growth of the live file within a few poll intervals, once per interval however many writes', async () => {
    const { dir, grew } = await watchedDirectory();
    const live = openSync(path.join(dir, 'audit.log'), 'a');
    for (let write = 0; write < 50; write += 1) writeSync(live, `{"auditID":"w${write}"}\n`); // one write(2) per event
    closeSync(live);
    await sleep(SETTLE_MS);
    assert.ok(grew() >= 1, 'growth reported');
    assert.ok(grew() <= 2, `50 writes in one burst are not 50 wake-ups (got ${grew()})`);
  });

  it('reports a rotation (rename, then a new live file) as a change of the set of files', async () => {
    const { dir, changed } = await watchedDirectory();
    await rename(path.join(dir, 'audit.log'), path.join(dir, 'audit-2026-11-27T14-30-01.123.log'));
    await writeFile(path.join(dir, 'audit.log'), '{"auditID":"2"}\n');
    await sleep(SETTLE_MS);
    assert.ok(changed() >= 1);
  });

  it('ignores files that are not part of the log', async () => {
    const { dir, grew, changed } = await watchedDirectory();
    await appendFile(path.join(dir, 'kube-apiserver.log'), 'more\n');
    await writeFile(path.join(dir, 'notes.txt'), 'x');
    await sleep(SETTLE_MS);
    assert.equal(grew(), 0);
    assert.equal(changed(), 0);
  });
});
