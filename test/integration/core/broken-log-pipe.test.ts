import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { AgentWorkspace } from '../../helpers/agent-fixture.js';
import { CLI_PATH, waitUntil } from '../../helpers/agent-process.js';
import { AuditEventFactory } from '../../helpers/audit-event-factory.js';
import { checkpointedBytes } from '../../helpers/checkpoint-view.js';
import { LumberjackWriter } from '../../helpers/lumberjack-writer.js';
import { duplicateCount, missingKeys, readFileSinkOutput } from '../../helpers/sink-output.js';
import { writtenKeys } from '../../helpers/writer-driver.js';

describe('a broken log pipe (`run 2>&1 | head -3`)', function () {
  this.timeout(180_000);

  it('keeps shipping and checkpointing once stdout and stderr lead nowhere, and exits 0 on SIGTERM', async () => {
    const workspace = new AgentWorkspace();
    // Large enough not to rotate: the checkpoint then reaches the writer's byte count.
    const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 64 * 1024 * 1024 });
    const factory = new AuditEventFactory({ seed: 23 });
    writer.writeMany(factory.lines(200));
    // One pipe for both, as `2>&1 |` makes it; the test reads three lines and closes its end, as head does.
    const child = spawn('/bin/sh', ['-c', `exec "$0" "$@" 2>&1`, process.execPath, CLI_PATH, ...workspace.args(['--progress-interval-ms', '50', '--http-port', '0'])], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let lines = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        lines += chunk.toString('utf8').split('\n').length - 1;
        if (lines >= 3) resolve();
      });
    });
    child.stdout.destroy();
    // Debug logging and a progress line every 50 ms: the agent writes to the closed pipe all along.
    writer.writeMany(factory.lines(300));
    const size = writer.stats.bytesWritten;
    await waitUntil(() => readFileSinkOutput(workspace.outputPath).keys.length === 500, 30_000, 'all 500 events shipped');
    await waitUntil(() => checkpointedBytes(workspace.checkpointDir) === size, 30_000, 'the checkpoint to reach the end of the log');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    await writer.close();
    const delivered = readFileSinkOutput(workspace.outputPath);
    assert.deepEqual(missingKeys(writtenKeys(writer), delivered), []);
    assert.equal(duplicateCount(delivered), 0);
  });
});
