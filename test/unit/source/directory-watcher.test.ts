import assert from 'node:assert/strict';
import { closeSync, openSync, writeSync } from 'node:fs';
import { appendFile, mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DirectoryWatcher } from '../../../src/source/directory-watcher.js';
import { waitUntil } from '../../helpers/agent-process.js';

describe('DirectoryWatcher', () => {
  /** Generous: chokidar polls every 100 ms, but the machine may be loaded. */
  const WAIT_MS = 30_000;
  let watcher: DirectoryWatcher | undefined;

  afterEach(async () => {
    await watcher?.stop();
    watcher = undefined;
  });

  /**
   * Starts a watcher on a fresh directory and returns once it reports growth of the live file:
   * chokidar's initial listing is done, and the counts start from zero.
   */
  async function watchedDirectory(): Promise<{ dir: string; grew: () => number; changed: () => number; append: (line: string) => void }> {
    const dir = await mkdtemp(path.join(tmpdir(), 'kaf-watch-'));
    const livePath = path.join(dir, 'audit.log');
    await writeFile(livePath, '{"auditID":"1"}\n');
    await writeFile(path.join(dir, 'kube-apiserver.log'), 'not ours\n');
    let grew = 0;
    let changed = 0;
    watcher = new DirectoryWatcher(livePath, {
      onFileGrew: () => (grew += 1),
      onFilesChanged: () => (changed += 1),
      onWatchFailed: () => undefined,
    });
    watcher.start();
    const append = (line: string): void => {
      const live = openSync(livePath, 'a');
      writeSync(live, `${line}\n`);
      closeSync(live);
    };
    // A write before the initial listing is not reported: write until one is, each probe given
    // five poll intervals to be reported, so none is still on its way when the counts restart.
    let probe = 0;
    await waitUntil(() => grew > 0 || (append(`{"auditID":"probe${(probe += 1)}"}`), false), WAIT_MS, 'the watcher to report a write', 500);
    grew = 0;
    changed = 0;
    return { dir, grew: () => grew, changed: () => changed, append };
  }

  it('reports growth of the live file, once per poll interval however many writes', async () => {
    const { grew, append } = await watchedDirectory();
    for (let write = 0; write < 50; write += 1) append(`{"auditID":"w${write}"}`); // one write(2) per event
    await waitUntil(() => grew() >= 1, WAIT_MS, 'growth to be reported');
    // A burst lands in one poll interval, or straddles two: never one wake-up per write.
    const afterBurst = grew();
    assert.ok(afterBurst <= 2, `50 writes in one burst are not 50 wake-ups (got ${afterBurst})`);
    // A write after the burst was reported is reported in a later interval of its own.
    append('{"auditID":"after"}');
    await waitUntil(() => grew() > afterBurst, WAIT_MS, 'the later write to be reported');
  });

  it('reports a rotation (rename, then a new live file) as a change of the set of files', async () => {
    const { dir, changed } = await watchedDirectory();
    await rename(path.join(dir, 'audit.log'), path.join(dir, 'audit-2026-11-27T14-30-01.123.log'));
    await writeFile(path.join(dir, 'audit.log'), '{"auditID":"2"}\n');
    await waitUntil(() => changed() >= 1, WAIT_MS, 'the rotation to be reported');
  });

  it('ignores files that are not part of the log', async () => {
    const { dir, grew, changed, append } = await watchedDirectory();
    await appendFile(path.join(dir, 'kube-apiserver.log'), 'more\n');
    await writeFile(path.join(dir, 'notes.txt'), 'x');
    // Two later writes to the live file, each reported in an interval of its own: by the second,
    // at least one whole poll interval has passed since the foreign changes, which would have
    // been reported by then had they been watched.
    append('{"auditID":"marker1"}');
    await waitUntil(() => grew() >= 1, WAIT_MS, 'the first marker write to be reported');
    const afterFirst = grew();
    append('{"auditID":"marker2"}');
    await waitUntil(() => grew() > afterFirst, WAIT_MS, 'the second marker write to be reported');
    assert.equal(changed(), 0, 'a foreign file created is not a change of the log files');
    assert.equal(grew(), afterFirst + 1, 'a foreign file that grew is not growth of the log');
  });
});
