import assert from 'node:assert/strict';
import { appendFileSync, readdirSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { AuditEventFactory } from '../../helpers/audit-event-factory.js';
import { AgentWorkspace } from '../../helpers/agent-fixture.js';
import { waitUntil } from '../../helpers/agent-process.js';
import { rotateNumbered } from '../../helpers/numbered-logrotate.js';
import { duplicateCount, missingKeys, readFileSinkOutput, recordKey } from '../../helpers/sink-output.js';

const KEEP = 30;

/** Appends `bursts` bursts of events, rotating the numbered way after every `rotateEvery` bursts; returns the keys written. */
async function writeAndRotate(livePath: string, factory: AuditEventFactory, bursts: number, rotateEvery: number): Promise<string[]> {
  const keys: string[] = [];
  for (let burst = 1; burst <= bursts; burst += 1) {
    const lines = factory.lines(250);
    appendFileSync(livePath, `${lines.join('\n')}\n`);
    for (const line of lines) {
      const event = JSON.parse(line) as { auditID?: string; stage?: string };
      keys.push(recordKey(event.auditID, event.stage));
    }
    if (burst % rotateEvery === 0) rotateNumbered(livePath, KEEP);
    await yieldToEventLoop();
  }
  return keys;
}

describe("logrotate's numbered copies (audit.log.1, audit.log.2.gz, …) with copytruncate", function () {
  this.timeout(180_000);

  it('delivers every auditID once while copies shift from .1 to .2.gz and onwards under the running agent', async () => {
    const workspace = new AgentWorkspace();
    const factory = new AuditEventFactory({ seed: 21, requestResponseFraction: 0 });
    const agent = workspace.start();
    await agent.waitForLog((entry) => entry.message === 'agent started');
    const written = await writeAndRotate(workspace.livePath, factory, 60, 3);
    await waitUntil(() => missingKeys(written, readFileSinkOutput(workspace.outputPath)).length === 0, 60_000, 'every auditID');
    agent.kill('SIGTERM');
    assert.equal((await agent.waitForExit()).code, 0);
    assert.ok(readdirSync(workspace.logDir).includes('audit.log.20.gz'), 'the copies were shifted and compressed');
    assert.equal(agent.logsWith('agent stopped')[0]!.bytesLost, 0);
    assert.equal(duplicateCount(readFileSinkOutput(workspace.outputPath)), 0);
  });

  it('catches up on copies that were shifted and compressed while the agent was stopped, without sending anything twice', async () => {
    const workspace = new AgentWorkspace();
    const factory = new AuditEventFactory({ seed: 22, requestResponseFraction: 0 });
    const first = workspace.start();
    await first.waitForLog((entry) => entry.message === 'agent started');
    const before = await writeAndRotate(workspace.livePath, factory, 8, 3);
    await waitUntil(() => missingKeys(before, readFileSinkOutput(workspace.outputPath)).length === 0, 60_000, 'the first events');
    first.kill('SIGTERM');
    assert.equal((await first.waitForExit()).code, 0);

    // Down for seven rotations: what the agent had read is now in audit.log.8.gz and onwards.
    const during = await writeAndRotate(workspace.livePath, factory, 21, 3);
    const agent = await workspace.catchUp();
    const delivered = readFileSinkOutput(workspace.outputPath);
    assert.deepEqual(missingKeys([...before, ...during], delivered), []);
    assert.equal(duplicateCount(delivered), 0);
    assert.equal(agent.logsWith('agent stopped')[0]!.bytesLost, 0);
  });
});
