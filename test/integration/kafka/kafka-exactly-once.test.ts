import assert from 'node:assert/strict';
import { AgentWorkspace } from '../../helpers/agent-fixture.js';
import { type AgentProcess, waitUntil } from '../../helpers/agent-process.js';
import { AuditEventFactory } from '../../helpers/audit-event-factory.js';
import { LumberjackWriter } from '../../helpers/lumberjack-writer.js';
import { SeededRandom } from '../../helpers/seeded-random.js';
import { assertExactlyOnce, countsByKey, duplicatesIn, rotatingLog, startExactlyOnceAgent } from './exactly-once.js';
import { WrittenLines } from './written-lines.js';
import { metricValue } from './kafka-agent.js';
import { KafkaBroker } from './kafka-broker.js';
import { auditKeyOf, createTopic } from './topic-reader.js';
import { TRUNCATED_ANNOTATION } from '../../../src/audit/truncate-large-objects.js';

const DELIVERED = 'kube_audit_forwarder_kafka_messages_delivered_total';
const COMMITTED = 'kube_audit_forwarder_kafka_transactions_total{outcome="committed"}';

describe('Kafka exactly-once delivery against a real Kafka 4.4.0 broker (read back by the Java client)', function () {
  this.timeout(600_000);
  const broker = new KafkaBroker({ version: '4.4.0', name: 'kafka-it-exactly-once', port: 25092 });
  const agents: AgentProcess[] = [];
  let topicNumber = 0;

  /** An events topic of 3 partitions and a compacted checkpoint topic, as docs/sinks.md says to create them. */
  async function newTopics(): Promise<{ events: string; checkpoints: string }> {
    topicNumber += 1;
    const stamp = `${topicNumber}-${Date.now()}`;
    const topics = { events: `audit-eos-${stamp}`, checkpoints: `audit-eos-checkpoints-${stamp}` };
    await createTopic(broker.bootstrap, topics.events, 3);
    await createTopic(broker.bootstrap, topics.checkpoints, 1, { config: { 'cleanup.policy': 'compact' } });
    return topics;
  }

  function agentFor(
    workspace: AgentWorkspace,
    topics: { events: string; checkpoints: string },
    transactionalId: string,
    extra: string[] = [],
    options: { processors?: boolean } = {},
  ): AgentProcess {
    const agent = startExactlyOnceAgent(workspace, broker.bootstrap, topics, transactionalId, extra, options);
    agents.push(agent);
    return agent;
  }

  before(async () => {
    await broker.start({ fresh: true });
  });

  afterEach(() => {
    for (const agent of agents.splice(0)) agent.kill('SIGKILL');
  });

  after(async () => {
    await broker.stop();
  });

  it('read_committed sees every (auditID, stage) exactly once while the agent is SIGKILLed 11 times at random moments during 104 500 events with rotations and gzip; read_uncommitted holds the aborted duplicates', async () => {
    const topics = await newTopics();
    const { workspace, writer, written } = rotatingLog(83);
    const random = new SeededRandom(83);
    const kills = 11;
    for (let round = 0; round < kills; round++) {
      const agent = agentFor(workspace, topics, 'node-a');
      await agent.waitForLog((entry) => entry.message === 'agent started');
      await written.write(9_500, 500);
      // A random moment: after this many delivery reports, mostly with a transaction open.
      const killAfter = random.int(300, 9_000);
      await waitUntil(async () => (await metricValue(agent, DELIVERED)) >= killAfter, 120_000, `${killAfter} delivery reports in round ${round}`, 20);
      agent.kill('SIGKILL');
      await agent.waitForExit();
    }
    await writer.close();
    const last = agentFor(workspace, topics, 'node-a', ['--exit-when-caught-up']);
    assert.equal((await last.waitForExit(300_000)).code, 0, last.tail());

    const committed = await broker.readTopic(topics.events, 'read_committed');
    assertExactlyOnce(committed, written);
    const uncommitted = await broker.readTopic(topics.events, 'read_uncommitted');
    const aborted = duplicatesIn(uncommitted);
    assert.ok(aborted > 0, 'no aborted duplicate in the topic: the kills never hit an open transaction, so this run proves nothing');
    const rotations = writer.stats.rotations;
    assert.ok(rotations >= 20, `only ${rotations} rotations`);
    console.log(
      `      ${written.byKey.size} events, ${rotations} rotations (gzip), ${kills} SIGKILLs: read_committed 0 missing, 0 duplicates; ` +
        `read_uncommitted ${aborted} aborted duplicates`,
    );
  });

  it('a second agent with the same transactional id fences the first, which stops producing, says so and exits 1; nothing is duplicated', async () => {
    const topics = await newTopics();
    const { workspace, writer, written } = rotatingLog(89);
    const first = agentFor(workspace, topics, 'node-b');
    await first.waitForLog((entry) => entry.message === 'agent started');
    await written.write(10_000, 500);
    // One commit is enough: the 10 000 lines may all fit in one transaction when the agent reads them in one go.
    await waitUntil(async () => (await metricValue(first, COMMITTED)) >= 1, 120_000, 'the first agent committing');
    // The same node's second pod (say, an update with maxSurge): same log, same checkpoint directory.
    const second = agentFor(workspace, topics, 'node-b');
    await second.waitForLog((entry) => entry.message === 'agent started');
    await written.write(10_000, 500);
    const { code } = await first.waitForExit(120_000);
    assert.equal(code, 1, 'the fenced agent did not exit 1');
    const said = await first.waitForLog((entry) => entry.message.startsWith('stopped producing: another agent took over'));
    assert.match(String(said.error), /another producer registered the transactional id "node-b"/);
    await written.write(5_000, 500);
    await writer.close();
    second.kill('SIGTERM');
    assert.equal((await second.waitForExit()).code, 0);
    const caughtUp = agentFor(workspace, topics, 'node-b', ['--exit-when-caught-up']);
    assert.equal((await caughtUp.waitForExit(120_000)).code, 0, caughtUp.tail());

    assertExactlyOnce(await broker.readTopic(topics.events, 'read_committed'), written);
  });

  it('writes the alerts topic in the same transactions and takes the oversize policy on a topic with max.message.bytes=100000, each event once', async () => {
    topicNumber += 1;
    const stamp = `${topicNumber}-${Date.now()}`;
    const topics = { events: `audit-eos-small-${stamp}`, checkpoints: `audit-eos-small-checkpoints-${stamp}` };
    const alertsTopic = `audit-eos-alerts-${stamp}`;
    await createTopic(broker.bootstrap, topics.events, 3, { config: { 'max.message.bytes': '100000' } });
    await createTopic(broker.bootstrap, topics.checkpoints, 1, { config: { 'cleanup.policy': 'compact' } });
    await createTopic(broker.bootstrap, alertsTopic, 1);
    const workspace = new AgentWorkspace();
    const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 16 * 1024 ** 2 });
    const written = new WrittenLines(writer, new AuditEventFactory({ seed: 103, requestResponseFraction: 0 }));
    await written.write(2000, 500);
    const exec = written.writePodExec('a0e1f0c2-exec-0000-0000-00000000e05e');
    const huge = written.writeVariant({ auditID: 'a0e1f0c2-huge-0000-0000-00000000e05e', requestObject: { data: 'y'.repeat(300_000) } });
    await written.write(2000, 500);
    await writer.close();
    // The default --kafka-max-message-bytes (1000000) is ten times what this topic takes.
    const agent = agentFor(workspace, topics, 'node-d', ['--alerts-kafka-topic', alertsTopic, '--exit-when-caught-up', '--batch-max-bytes', '4MiB', '--max-inflight-bytes', '16MiB'], {
      processors: true,
    });
    assert.equal((await agent.waitForExit(300_000)).code, 0, agent.tail());

    const committed = await broker.readTopic(topics.events, 'read_committed');
    const counts = countsByKey(committed);
    assert.deepEqual([...written.byKey.keys()].filter((key) => counts.get(key) !== 1), [], 'events not exactly once in read_committed');
    assert.equal(counts.size, written.byKey.size);
    const shipped = committed.find((record) => record.key === huge.auditID)!;
    assert.ok(shipped.value.length < 100_000);
    assert.equal(JSON.parse(shipped.value.toString()).requestObject[TRUNCATED_ANNOTATION], true);
    assert.ok(agent.logs.some((entry) => /Kafka rejected a batch as too large/.test(entry.message)), 'no transaction was refused as too large: the lowering went untested');
    const alerts = await broker.readTopic(alertsTopic, 'read_committed');
    assert.equal(alerts.filter((record) => auditKeyOf(record.value) === `${exec.auditID}/${exec.stage}`).length, 1, 'the exec alert once');
    assert.ok(alerts.length < written.byKey.size / 2, `${alerts.length} alerts: the alerts topic is not selective`);
  });

  it('read_committed sees every event exactly once across a broker restart mid-stream', async () => {
    const topics = await newTopics();
    const { workspace, writer, written } = rotatingLog(97);
    const agent = agentFor(workspace, topics, 'node-c', ['--kafka-request-timeout-ms', '5000']);
    await agent.waitForLog((entry) => entry.message === 'agent started');
    await written.write(15_000, 500);
    await waitUntil(async () => (await metricValue(agent, DELIVERED)) >= 5_000, 60_000, 'delivery under way');
    await broker.stop();
    await written.write(15_000, 500);
    await broker.start();
    await written.write(5_000, 500);
    await writer.close();
    await waitUntil(async () => (await metricValue(agent, 'kube_audit_forwarder_events_shipped_total')) >= written.byKey.size, 300_000, 'every event committed', 250);
    agent.kill('SIGTERM');
    assert.equal((await agent.waitForExit()).code, 0);

    const committed = await broker.readTopic(topics.events, 'read_committed');
    assertExactlyOnce(committed, written);
    console.log(`      ${written.byKey.size} events across a broker restart: read_committed 0 missing, 0 duplicates (${duplicatesIn(await broker.readTopic(topics.events))} aborted duplicates in the log)`);
  });
});
