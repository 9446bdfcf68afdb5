import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const SCRIPT = fileURLToPath(new URL('../../../scripts/simulate-apiserver.js', import.meta.url));

interface Run {
  code: number | null;
  stderr: string;
}

/** Runs the simulator; `onStderr` may act on its output while it runs (e.g. send SIGTERM). */
function runSimulator(args: string[], onStderr?: (text: string, kill: (signal: NodeJS.Signals) => void) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      onStderr?.(stderr, (signal) => child.kill(signal));
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** All lines in the directory, oldest backup first and the live file last, .gz decompressed. */
function logLines(dir: string): string[] {
  const backups = readdirSync(dir).filter((name) => name !== 'audit.log').sort();
  const parts = backups.map((name) => (name.endsWith('.gz') ? gunzipSync(readFileSync(join(dir, name))) : readFileSync(join(dir, name))));
  const text = Buffer.concat([...parts, readFileSync(join(dir, 'audit.log'))]).toString('utf8');
  assert.ok(text.endsWith('\n'), 'the log ends in the middle of a line');
  return text.slice(0, -1).split('\n');
}

describe('simulate-apiserver script', () => {
  const dirs: string[] = [];
  const newDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'simulate-apiserver-'));
    dirs.push(dir);
    return dir;
  };

  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('writes --events events through compressed rotations, the same events for the same seed', async () => {
    const [first, second] = [newDir(), newDir()];
    const args = ['--rate', '200000', '--max-size', '64KiB', '--max-backups', '0', '--compress', '--seed', '5', '--events', '3000'];
    for (const dir of [first, second]) {
      const run = await runSimulator(['--dir', dir, ...args]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /simulate-apiserver: done .* events=3000 /);
    }
    const lines = logLines(first);
    assert.equal(lines.length, 3000);
    assert.ok(readdirSync(first).filter((name) => name.endsWith('.log.gz')).length > 20);
    assert.deepEqual(logLines(second), lines);
  });

  it('stops on SIGTERM with exit code 0, every line complete and every backup gzipped', async () => {
    const dir = newDir();
    let signalled = false;
    const run = await runSimulator(['--dir', dir, '--rate', '20000', '--max-size', '128KiB', '--max-backups', '0', '--compress', '--status-every', '1'], (stderr, kill) => {
      if (!signalled && stderr.includes('writing')) {
        signalled = true;
        kill('SIGTERM');
      }
    });
    assert.equal(run.code, 0, run.stderr);
    const written = Number(/done .* events=(\d+)/.exec(run.stderr)?.[1]);
    assert.ok(written > 0, run.stderr);
    assert.equal(logLines(dir).length, written);
    assert.ok(readdirSync(dir).every((name) => name === 'audit.log' || name.endsWith('.log.gz')), readdirSync(dir).join(' '));
  });

  it('rejects a bad option with exit code 2 and a message naming it', async () => {
    const run = await runSimulator(['--dir', newDir(), '--max-size', 'lots']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--max-size: "lots" is not a size/);
  });
});
