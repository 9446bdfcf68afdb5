import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../unit/deploy/repo-root.js';
import { waitUntil, withTimeout } from '../../helpers/agent-process.js';

const DEMO = path.join(REPO_ROOT, 'scripts', 'run-demo.sh');
const CAP_BYTES = 1024 * 1024;

describe('make run (scripts/run-demo.sh)', function () {
  this.timeout(180_000);

  it('prints one progress line a second, keeps its output capped, and on Ctrl-C stops the agent once, prints the summary after it exited and removes its temp dir', async () => {
    const demo = spawn('bash', [DEMO], {
      // Its own process group, as a terminal's foreground job: Ctrl-C goes to the whole group.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
        DEMO_MAX_OUTPUT_BYTES: String(CAP_BYTES),
        DEMO_CORPUS: '', // generated events only: nothing outside the repository
      },
    });
    let output = '';
    const lineTimes: Array<{ line: string; at: number }> = [];
    const collect = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      for (const line of chunk.toString('utf8').split('\n')) if (line) lineTimes.push({ line, at: performance.now() });
    };
    demo.stdout.on('data', collect);
    demo.stderr.on('data', collect);
    const exited = new Promise<number | null>((resolve) => demo.on('exit', (code) => resolve(code)));
    try {
      await waitUntil(() => /^demo directory: (\S+)$/m.test(output), 30_000, 'the demo directory');
      const work = /^demo directory: (\S+)$/m.exec(output)![1]!;
      const out = path.join(work, 'out.jsonl');
      let emptied = false;
      let previous = 0;
      await waitUntil(
        () => {
          const size = existsSync(out) ? statSync(out).size : 0;
          if (size < previous) emptied = true;
          previous = size;
          return emptied && progressLines(output).length >= 5;
        },
        90_000,
        'the output to pass the cap and be emptied, and five progress lines',
        20,
      );
      const progress = lineTimes.filter((entry) => entry.line.includes(' events/s '));
      const span = (progress.at(-1)!.at - progress[0]!.at) / 1000;
      assert.ok(Math.abs(progress.length - 1 - span) <= 2, `${progress.length} progress lines over ${span.toFixed(1)} s`);
      assert.doesNotMatch(output, /audit log rotated/, 'rotations are counted in the progress line, not logged one by one');
      assert.match(progressLines(output).at(-1)!, /rotations [1-9]/);

      process.kill(-demo.pid!, 'SIGINT');
      assert.equal(await withTimeout(exited, 60_000, () => `the demo did not exit:\n${output}`), 0, output);
      assert.equal((output.match(/signal received/g) ?? []).length, 1, `the agent was signalled once:\n${output}`);
      const lines = output.trim().split('\n');
      assert.match(lines.at(-1)!, /^agent exited with status 0; removed /);
      const summaries = lines.filter((line) => / agent {3}stopped: shipped \d+ events .*, drained$/.test(line));
      assert.equal(summaries.length, 1, output);
      assert.ok(!existsSync(work), `${work} removed`);
    } finally {
      if (demo.exitCode === null) process.kill(-demo.pid!, 'SIGKILL');
    }
  });
});

function progressLines(output: string): string[] {
  return output.split('\n').filter((line) => line.includes(' events/s '));
}
