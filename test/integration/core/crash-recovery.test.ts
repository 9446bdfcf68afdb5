import assert from 'node:assert/strict';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { AuditEventFactory } from '../../helpers/audit-event-factory.js';
import { AgentWorkspace } from '../../helpers/agent-fixture.js';
import type { AgentProcess } from '../../helpers/agent-process.js';
import { waitUntil } from '../../helpers/agent-process.js';
import { LumberjackWriter } from '../../helpers/lumberjack-writer.js';
import { readCheckpointView, type CheckpointView } from '../../helpers/checkpoint-view.js';
import { duplicateBound } from '../../helpers/inflight-bound.js';
import { SeededRandom } from '../../helpers/seeded-random.js';
import { SinkTimeline } from '../../helpers/sink-timeline.js';
import { duplicateCount, missingKeys, readFileSinkOutput, recordKey } from '../../helpers/sink-output.js';
import { writtenKeys } from '../../helpers/writer-driver.js';

describe('crash recovery (SIGKILL, restarts, agent down during rotations)', function () {
  this.timeout(300_000);

  it('loses no auditID when the agent is SIGKILLed at random moments and restarted 12 times mid-stream; each kill re-sends at most what was in flight', async () => {
    const workspace = new AgentWorkspace();
    const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 256 * 1024, compress: true, maxBackups: 0 });
    const factory = new AuditEventFactory({ seed: 1234 });
    const random = new SeededRandom(99);
    const maxInflightBytes = 256 * 1024;
    const agentArgs = ['--max-inflight-bytes', String(maxInflightBytes), '--batch-max-bytes', String(64 * 1024)];
    const sink = new SinkTimeline(workspace.outputPath);
    sink.start();
    const total = 60_000;
    // Each kill: the killed agent's share of the output, and the checkpoint the next agent resumes from.
    const kills: Array<{ sinkFrom: number; sinkTo: number; checkpoint: CheckpointView }> = [];
    let sinkFrom = sink.sample();
    let agent: AgentProcess = workspace.start(agentArgs);
    for (let written = 0; written < total; written += 500) {
      writer.writeMany(factory.lines(500));
      await yieldToEventLoop();
      // Kill at seeded-random points of the stream, once the agent has shipped something since it started.
      if (kills.length < 12 && random.chance(0.12)) {
        const before = sink.sample();
        await waitUntil(() => sink.sample() > before, 60_000, `progress before the kill; agent logs:\n${agent.tail(10)}`);
        // SIGSTOP first: the output and the checkpoint are then exactly what the SIGKILL leaves.
        await agent.freeze();
        const checkpoint = readCheckpointView(workspace.checkpointDir);
        agent.kill('SIGKILL');
        await agent.waitForExit();
        // Read once the agent is dead: a write still under way at the SIGKILL can end short, and
        // the next agent's output begins after the last complete line (the file sink cuts the rest).
        const sinkTo = sink.completeLinesEnd();
        kills.push({ sinkFrom, sinkTo, checkpoint });
        sinkFrom = sinkTo;
        agent = workspace.start(agentArgs);
      }
    }
    await writer.close();
    const written = writtenKeys(writer);
    await waitUntil(() => missingKeys(written, readFileSinkOutput(workspace.outputPath)).length === 0, 120_000, 'every auditID in the sink');
    agent.kill('SIGTERM');
    assert.equal((await agent.waitForExit()).code, 0);
    sink.stop();
    const delivered = readFileSinkOutput(workspace.outputPath);
    assert.ok(kills.length >= 10, `only ${kills.length} kills`);
    assert.deepEqual(missingKeys(written, delivered), []);

    // Every repeat comes from the agent that delivered the line before being killed, and stays
    // within what that agent had in flight or delivered after its last checkpoint.
    const lengthOf = new Map(writer.lines.map((line) => [recordKey(line.auditId, line.stage), line.length]));
    const agentOf = (start: number): number => kills.filter((kill) => kill.sinkTo <= start).length;
    const lastDeliveredBy = new Map<string, number>();
    const repeatedBytes = kills.map(() => 0);
    for (const line of sink.read()) {
      const previous = lastDeliveredBy.get(line.key!);
      const current = agentOf(line.start);
      if (previous !== undefined) {
        assert.notEqual(previous, current, `${line.key} delivered twice by agent ${current}`);
        assert.ok(previous < kills.length, `${line.key} re-sent after the last agent, which was not killed`);
        repeatedBytes[previous]! += lengthOf.get(line.key!)!;
      }
      lastDeliveredBy.set(line.key!, current);
    }
    const longestLine = Math.max(...writer.lines.map((line) => line.length));
    kills.forEach((kill, index) => {
      const bound = duplicateBound({
        maxInflightBytes,
        longestLine,
        sink,
        checkpointWrittenAtMs: kill.checkpoint.writtenAtMs,
        sinkFrom: kill.sinkFrom,
        sinkTo: kill.sinkTo,
        bytesOf: (key) => (key === undefined ? 0 : (lengthOf.get(key) ?? 0)),
      });
      assert.ok(repeatedBytes[index]! <= bound.bytes, `kill ${index}: ${repeatedBytes[index]} bytes sent again, above ${bound.bytes} (${bound.explanation})`);
    });
    console.log(
      `      ${written.length} events, ${writer.stats.rotations} rotations, ${kills.length} SIGKILLs: 0 missing, ${duplicateCount(delivered)} duplicates ` +
        `(${Math.max(...repeatedBytes)} bytes at most for one kill)`,
    );
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
