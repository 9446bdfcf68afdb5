import assert from 'node:assert/strict';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { AuditEventFactory } from '../../helpers/audit-event-factory.js';
import { AgentWorkspace } from '../../helpers/agent-fixture.js';
import type { AgentProcess } from '../../helpers/agent-process.js';
import { waitUntil } from '../../helpers/agent-process.js';
import { LumberjackWriter } from '../../helpers/lumberjack-writer.js';
import { SeededRandom } from '../../helpers/seeded-random.js';
import { duplicateCount, missingKeys, readFileSinkOutput } from '../../helpers/sink-output.js';
import { writtenKeys } from '../../helpers/writer-driver.js';

describe('crash recovery (SIGKILL, restarts, agent down during rotations)', function () {
  this.timeout(300_000);

  it('loses no auditID when the agent is SIGKILLed at random moments and restarted 12 times mid-stream', async () => {
    const workspace = new AgentWorkspace();
    const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 256 * 1024, compress: true, maxBackups: 0 });
    const factory = new AuditEventFactory({ seed: 1234 });
    const random = new SeededRandom(99);
    const total = 60_000;
    let kills = 0;
    let agent: AgentProcess = workspace.start();
    for (let written = 0; written < total; written += 500) {
      writer.writeMany(factory.lines(500));
      await yieldToEventLoop();
      // Kill at seeded-random points of the stream, once the agent has shipped something since it started.
      if (kills < 12 && random.chance(0.12)) {
        const before = readFileSinkOutput(workspace.outputPath).keys.length;
        await waitUntil(() => readFileSinkOutput(workspace.outputPath).keys.length > before, 30_000, 'progress before the kill');
        agent.kill('SIGKILL');
        await agent.waitForExit();
        kills += 1;
        agent = workspace.start();
      }
    }
    await writer.close();
    const written = writtenKeys(writer);
    await waitUntil(() => missingKeys(written, readFileSinkOutput(workspace.outputPath)).length === 0, 120_000, 'every auditID in the sink');
    agent.kill('SIGTERM');
    assert.equal((await agent.waitForExit()).code, 0);
    const delivered = readFileSinkOutput(workspace.outputPath);
    assert.ok(kills >= 10, `only ${kills} kills`);
    assert.deepEqual(missingKeys(written, delivered), []);
    const duplicates = duplicateCount(delivered);
    console.log(`      ${written.length} events, ${writer.stats.rotations} rotations, ${kills} SIGKILLs: 0 missing, ${duplicates} duplicates (in-flight at the kills)`);
    // Duplicates come only from batches in flight at each kill: bounded by the in-flight budget.
    assert.ok(duplicates < kills * 10_000, `${duplicates} duplicates`);
  });

  it('delivers everything in file order after being down while the writer rotated 20 times', async () => {
    const workspace = new AgentWorkspace();
    const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 64 * 1024, compress: true, maxBackups: 0 });
    const factory = new AuditEventFactory({ seed: 5, requestResponseFraction: 0 });
    writer.writeMany(factory.lines(200));
    await workspace.catchUp();
    const before = readFileSinkOutput(workspace.outputPath).keys.length;
    while (writer.stats.rotations < 20) writer.write(factory.nextLine());
    writer.writeMany(factory.lines(100));
    // Compress some backups but not all: the mill is still running when the agent comes back.
    await writer.flushMill();
    assert.ok(writer.stats.backupsCompressed > 0);
    await workspace.catchUp();
    await writer.close();
    const written = writtenKeys(writer);
    const delivered = readFileSinkOutput(workspace.outputPath);
    assert.deepEqual(missingKeys(written, delivered), []);
    assert.equal(duplicateCount(delivered), 0);
    assert.deepEqual(delivered.keys.slice(before), written.slice(before), 'delivered in the order written');
  });

  it('drains, checkpoints and exits 0 on SIGTERM, then resumes without re-sending', async () => {
    const workspace = new AgentWorkspace();
    const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 1024 * 1024 });
    const factory = new AuditEventFactory({ seed: 77 });
    writer.writeMany(factory.lines(5_000));
    const agent = workspace.start();
    await waitUntil(() => readFileSinkOutput(workspace.outputPath).keys.length > 0, 30_000, 'delivery to start');
    agent.kill('SIGTERM');
    assert.equal((await agent.waitForExit()).code, 0);
    assert.ok(agent.logsWith('agent stopped')[0]!.drained);
    writer.writeMany(factory.lines(1_000));
    await workspace.catchUp();
    await writer.close();
    const delivered = readFileSinkOutput(workspace.outputPath);
    assert.deepEqual(missingKeys(writtenKeys(writer), delivered), []);
    assert.equal(duplicateCount(delivered), 0, 'a clean stop leaves nothing to send twice');
  });
});
