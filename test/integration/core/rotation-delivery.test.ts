import assert from 'node:assert/strict';
import { AuditEventFactory, readRealAuditLines } from '../../helpers/audit-event-factory.js';
import { AgentWorkspace } from '../../helpers/agent-fixture.js';
import { waitUntil } from '../../helpers/agent-process.js';
import { LumberjackWriter } from '../../helpers/lumberjack-writer.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { duplicateCount, missingKeys, readFileSinkOutput } from '../../helpers/sink-output.js';
import { writeInBursts, writtenKeys } from '../../helpers/writer-driver.js';

describe('core delivery across rotations (agent as a child process, file sink)', function () {
  this.timeout(300_000);

  it('delivers every auditID of 50 000 events written through hundreds of gzip-compressed rotations', async () => {
    const workspace = new AgentWorkspace();
    const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 256 * 1024, compress: true, maxBackups: 0 });
    const factory = new AuditEventFactory({ seed: 42, realLines: readRealAuditLines(CORPUS_DIR) });
    const agent = workspace.start();
    await agent.waitForLog((entry) => entry.message === 'agent started');
    await writeInBursts(writer, factory, 50_000);
    await writer.close();
    const written = writtenKeys(writer);
    await waitUntil(() => missingKeys(written, readFileSinkOutput(workspace.outputPath)).length === 0, 120_000, 'every auditID in the sink');
    agent.kill('SIGTERM');
    const { code } = await agent.waitForExit();
    assert.equal(code, 0);
    const delivered = readFileSinkOutput(workspace.outputPath);
    assert.ok(writer.stats.rotations >= 200, `only ${writer.stats.rotations} rotations`);
    assert.ok(writer.stats.backupsCompressed >= 200);
    assert.deepEqual(missingKeys(written, delivered), []);
    assert.equal(duplicateCount(delivered), 0, 'no crash, so no duplicates');
    const stopped = agent.logsWith('agent stopped')[0]!;
    assert.equal(stopped.bytesLost, 0);
    console.log(`      ${written.length} events, ${writer.stats.rotations} rotations, ${writer.stats.backupsCompressed} gzipped: 0 missing, 0 duplicates`);
  });

  it('reads a file it holds open to its end after rotation, gzip and maxBackups deleted every name of it', async () => {
    const workspace = new AgentWorkspace();
    const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 128 * 1024, compress: true, maxBackups: 1 });
    const factory = new AuditEventFactory({ seed: 7, requestResponseFraction: 0 });
    const agent = workspace.start();
    await agent.waitForLog((entry) => entry.message === 'agent started');
    writer.write(factory.nextLine());
    const first = writtenKeys(writer)[0]!;
    await waitUntil(() => readFileSinkOutput(workspace.outputPath).counts.has(first), 30_000, 'the first event delivered');
    // Freeze the agent while the file it holds open is filled and rotated, and its backup gzipped and then deleted by the next rotation.
    agent.kill('SIGSTOP');
    while (writer.stats.rotations < 2) writer.write(factory.nextLine());
    await writer.flushMill();
    assert.ok(writer.stats.backupsDeleted >= 1, 'the first file is gone from the directory');
    agent.kill('SIGCONT');
    await writer.close();
    const written = writtenKeys(writer);
    await waitUntil(() => missingKeys(written, readFileSinkOutput(workspace.outputPath)).length === 0, 60_000, 'every auditID in the sink');
    agent.kill('SIGTERM');
    assert.equal((await agent.waitForExit()).code, 0);
    assert.equal(agent.logsWith('agent stopped')[0]!.bytesLost, 0);
    assert.equal(duplicateCount(readFileSinkOutput(workspace.outputPath)), 0);
  });

  it('rides out the window after a rotation in which audit.log does not exist', async () => {
    const workspace = new AgentWorkspace();
    let gaps = 0;
    const writer = new LumberjackWriter({
      dir: workspace.logDir,
      maxSizeBytes: 64 * 1024,
      rotationGapMs: 150, // longer than the agent's 100 ms poll: scans see the directory without audit.log
      onRotationGap: () => {
        gaps += 1;
      },
    });
    const factory = new AuditEventFactory({ seed: 21, requestResponseFraction: 0 });
    const agent = workspace.start();
    await agent.waitForLog((entry) => entry.message === 'agent started');
    await writeInBursts(writer, factory, 2_000, 50);
    await writer.close();
    const written = writtenKeys(writer);
    await waitUntil(() => missingKeys(written, readFileSinkOutput(workspace.outputPath)).length === 0, 60_000, 'every auditID in the sink');
    agent.kill('SIGTERM');
    assert.equal((await agent.waitForExit()).code, 0);
    assert.ok(gaps >= 10, `only ${gaps} rotation gaps`);
    assert.equal(duplicateCount(readFileSinkOutput(workspace.outputPath)), 0);
    assert.deepEqual(agent.logs.filter((entry) => entry.level === 'error'), []);
  });

  it('reads the plain file, not the half-written .gz beside it, when it starts in the middle of compression', async () => {
    const workspace = new AgentWorkspace();
    let releaseMill!: () => void;
    const millHeld = new Promise<void>((resolve) => {
      releaseMill = resolve;
    });
    let halfWritten!: () => void;
    const gzipStarted = new Promise<void>((resolve) => {
      halfWritten = resolve;
    });
    const writer = new LumberjackWriter({
      dir: workspace.logDir,
      maxSizeBytes: 256 * 1024,
      compress: true,
      gzipChunkBytes: 4 * 1024,
      onGzipChunk: async (progress) => {
        if (progress.trailerWritten) return;
        halfWritten();
        await millHeld; // hold the .gz half-written (no gzip trailer) while the agent starts
      },
    });
    const factory = new AuditEventFactory({ seed: 22, requestResponseFraction: 0 });
    while (writer.stats.rotations < 1) writer.write(factory.nextLine());
    writer.writeMany(factory.lines(50));
    await gzipStarted;
    const agent = workspace.start();
    const firstBackupLines = writer.lines.filter((line) => line.generation === 0).length;
    await waitUntil(() => readFileSinkOutput(workspace.outputPath).keys.length >= firstBackupLines, 60_000, 'the rotated file shipped');
    releaseMill();
    await writer.close();
    const written = writtenKeys(writer);
    await waitUntil(() => missingKeys(written, readFileSinkOutput(workspace.outputPath)).length === 0, 60_000, 'every auditID in the sink');
    agent.kill('SIGTERM');
    assert.equal((await agent.waitForExit()).code, 0);
    assert.equal(duplicateCount(readFileSinkOutput(workspace.outputPath)), 0, 'the completed .gz is known as the same file');
    assert.equal(agent.logs.filter((entry) => /gzip backup is incomplete/.test(entry.message)).length, 0);
  });
});
