import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { AgentWorkspace } from '../../helpers/agent-fixture.js';
import { CLI_PATH, waitUntil, type AgentProcess } from '../../helpers/agent-process.js';
import { AuditEventFactory } from '../../helpers/audit-event-factory.js';
import { checkpointedBytes } from '../../helpers/checkpoint-view.js';
import { freePort } from '../../helpers/forward/server-scripts.js';
import { LumberjackWriter } from '../../helpers/lumberjack-writer.js';
import { duplicateCount, missingKeys, readFileSinkOutput } from '../../helpers/sink-output.js';
import { writtenKeys } from '../../helpers/writer-driver.js';

/** An agent whose drain cannot end: a batch is in flight to a forward port where nothing listens. */
async function agentStuckDraining(workspace: AgentWorkspace): Promise<AgentProcess> {
  writeEvents(workspace, 50);
  const port = await freePort();
  const agent = workspace.start(['--sink', 'forward', '--forward-servers', `127.0.0.1:${port}`, '--shutdown-timeout-ms', '600000']);
  await agent.waitForLog((entry) => entry.message === 'sending a batch failed; it will be retried');
  return agent;
}

function writeEvents(workspace: AgentWorkspace, count: number): void {
  const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 1024 * 1024 });
  writer.writeMany(new AuditEventFactory({ seed: 5 }).lines(count));
}

describe('stop signals (SIGINT, SIGTERM)', function () {
  this.timeout(180_000);

  it('drains and checkpoints on SIGINT followed by SIGTERM 3 ms later (make run’s Ctrl-C), so a restart re-sends nothing', async () => {
    const workspace = new AgentWorkspace();
    const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 1024 * 1024 });
    const factory = new AuditEventFactory({ seed: 11 });
    writer.writeMany(factory.lines(5_000));
    const agent = workspace.start();
    await waitUntil(() => readFileSinkOutput(workspace.outputPath).keys.length > 0, 30_000, 'delivery to start');
    agent.kill('SIGINT');
    const sentAt = performance.now();
    await waitUntil(() => performance.now() - sentAt >= 3, 1_000, '3 ms', 1);
    agent.kill('SIGTERM');
    assert.equal((await agent.waitForExit()).code, 0, agent.tail());
    assert.equal(agent.logsWith('agent stopped')[0]?.drained, true);
    const shipped = readFileSinkOutput(workspace.outputPath).keys.length;
    assert.ok(checkpointedBytes(workspace.checkpointDir) > 0, 'a final checkpoint was written');
    writer.writeMany(factory.lines(1_000));
    await workspace.catchUp();
    await writer.close();
    const delivered = readFileSinkOutput(workspace.outputPath);
    assert.deepEqual(missingKeys(writtenKeys(writer), delivered), []);
    assert.equal(duplicateCount(delivered), 0, `the restart re-sent lines already shipped (${shipped} before the restart)`);
  });

  it('exits 1 at once on a third signal while the drain cannot end', async () => {
    const agent = await agentStuckDraining(new AgentWorkspace());
    agent.kill('SIGTERM');
    await agent.waitForLog((entry) => entry.message.startsWith('signal received: draining'));
    agent.kill('SIGTERM');
    await agent.waitForLog((entry) => entry.message.startsWith('signal received while draining'));
    agent.kill('SIGTERM');
    assert.equal((await agent.waitForExit(30_000)).code, 1);
    assert.equal(agent.logsWith('signal received again: exiting without waiting for the drain').length, 1);
    assert.equal(agent.logsWith('agent stopped').length, 0, 'it did not wait for the drain');
  });

  it('exits 1 at once on a second signal that comes after the 2 s grace', async () => {
    const agent = await agentStuckDraining(new AgentWorkspace());
    agent.kill('SIGTERM');
    await agent.waitForLog((entry) => entry.message.startsWith('signal received: draining'));
    const firstAt = performance.now();
    await waitUntil(() => performance.now() - firstAt > 2_100, 10_000, 'the grace to pass');
    agent.kill('SIGINT');
    assert.equal((await agent.waitForExit(30_000)).code, 1);
    assert.equal(agent.logsWith('signal received again: exiting without waiting for the drain').length, 1);
  });

  it('exits 0 on a SIGTERM sent as soon as the agent writes its first log line, before it started reading', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const workspace = new AgentWorkspace();
      writeEvents(workspace, 10);
      // A setting of another sink makes a warning the first line: the earliest the log says anything.
      const child = spawn(process.execPath, [CLI_PATH, ...workspace.args(['--forward-tag', 'early', '--http-port', '0'])], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.once('data', () => child.kill('SIGTERM'));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (...result) => resolve(result)));
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
      assert.match(stderr, /"message":"signal received: draining/);
    }
  });
});
