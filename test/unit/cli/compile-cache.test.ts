import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CLI_PATH } from '../../helpers/agent-process.js';

const run = promisify(execFile);

/** The environment of a CLI run whose temp directory is `tmp`, with no compile-cache setting of the caller's. */
function envWithTmp(tmp: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { NODE_COMPILE_CACHE: _cache, NODE_DISABLE_COMPILE_CACHE: _disable, ...env } = process.env;
  return { ...env, TMPDIR: tmp, ...extra };
}

function filesUnder(directory: string): string[] {
  return existsSync(directory) ? readdirSync(directory, { recursive: true, encoding: 'utf8' }) : [];
}

describe('the CLI keeps a compile cache of its modules', function () {
  this.timeout(60_000);
  let tmp = '';
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'kaf-compile-cache-'));
  });
  afterEach(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('writes the compiled code of its modules under the temp directory, so the next start compiles less', async () => {
    await run(process.execPath, [CLI_PATH, '--version'], { env: envWithTmp(tmp) });
    const cached = filesUnder(path.join(tmp, 'node-compile-cache'));
    assert.ok(cached.length > 0, 'no compile cache written');
  });

  it('writes none when NODE_DISABLE_COMPILE_CACHE is set', async () => {
    await run(process.execPath, [CLI_PATH, '--version'], { env: envWithTmp(tmp, { NODE_DISABLE_COMPILE_CACHE: '1' }) });
    assert.deepEqual(filesUnder(path.join(tmp, 'node-compile-cache')), []);
  });

  it('still starts when the cache cannot be written (a read-only file system where the temp directory should be)', async () => {
    // A file where the temp directory should be: nothing can be created under it, as root either.
    const notADirectory = path.join(tmp, 'file');
    writeFileSync(notADirectory, '');
    const { stdout } = await run(process.execPath, [CLI_PATH, '--version'], { env: envWithTmp(notADirectory) });
    assert.match(stdout, /\d+\.\d+\.\d+/);
  });
});
