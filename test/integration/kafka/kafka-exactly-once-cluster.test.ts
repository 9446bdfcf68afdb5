import assert from 'node:assert/strict';
import { type AgentProcess, waitUntil } from '../../helpers/agent-process.js';
import { assertExactlyOnce, duplicatesIn, rotatingLog, startExactlyOnceAgent } from './exactly-once.js';
import { metricValue } from './kafka-agent.js';
import { KafkaCluster } from './kafka-cluster.js';
import { createTopic } from './topic-reader.js';

const DELIVERED = 'kube_audit_forwarder_kafka_messages_delivered_total';

describe('Kafka exactly-once delivery against a real 3-node Kafka 4.4.0 cluster (replication factor 3, min.insync.replicas 2)', function () {
  this.timeout(900_000);
  const cluster = new KafkaCluster('kafka-it-eos-cluster', 26092);
  const agents: AgentProcess[] = [];

  before(async () => {
    await cluster.start({ fresh: true });
  });

  afterEach(async () => {
    for (const agent of agents.splice(0)) agent.kill('SIGKILL');
    // A test that failed midway may leave a node down.
    await cluster.start();
  });

  after(async () => {
    await cluster.stop();
  });

  it("read_committed sees every event exactly once while the partition leaders' broker is SIGKILLed and restarted, and the agent SIGKILLed, during 60 000 events with rotations", async () => {
    const stamp = Date.now();
    const topics = { events: `audit-eos-cluster-${stamp}`, checkpoints: `audit-eos-cluster-checkpoints-${stamp}` };
    // A cluster just started may answer "does not host this topic-partition" while its metadata settles.
    const created = (create: () => Promise<void>): Promise<void> =>
      waitUntil(() => create().then(() => true, () => false), 120_000, 'the topics to be created', 1000);
    await created(() => createTopic(cluster.bootstrap, topics.events, 3, { replicationFactor: 3 }));
    await created(() => createTopic(cluster.bootstrap, topics.checkpoints, 1, { replicationFactor: 3, config: { 'cleanup.policy': 'compact' } }));
    const { workspace, writer, written } = rotatingLog(101);
    const start = (extra: string[] = []): AgentProcess => {
      const agent = startExactlyOnceAgent(workspace, cluster.bootstrap, topics, 'node-cluster', extra);
      agents.push(agent);
      return agent;
    };

    const first = start();
    await first.waitForLog((entry) => entry.message === 'agent started');
    await written.write(20_000, 500);
    await waitUntil(async () => (await metricValue(first, DELIVERED)) >= 8_000, 300_000, 'delivery under way', 100);
    const leader = await cluster.leaderOf(topics.events);
    await cluster.stopNode(leader, 'kill');
    await written.write(20_000, 500);
    const atKill = await metricValue(first, DELIVERED);
    // Two replicas of three still make min.insync.replicas: transactions go on without the node.
    await waitUntil(async () => (await metricValue(first, DELIVERED)) >= atKill + 5_000, 300_000, 'delivery with the leader gone', 250);
    first.kill('SIGKILL');
    await first.waitForExit();
    await cluster.start();

    const second = start();
    await second.waitForLog((entry) => entry.message === 'agent started', 120_000);
    await written.write(20_000, 500);
    await writer.close();
    await waitUntil(async () => (await metricValue(second, 'kube_audit_forwarder_events_shipped_total')) > 0, 300_000, 'the restarted agent committing', 250);
    second.kill('SIGTERM');
    assert.equal((await second.waitForExit()).code, 0);
    const last = start(['--exit-when-caught-up']);
    assert.equal((await last.waitForExit(300_000)).code, 0, last.tail());

    const committed = await cluster.readTopic(topics.events, 'read_committed');
    assertExactlyOnce(committed, written);
    const aborted = duplicatesIn(await cluster.readTopic(topics.events, 'read_uncommitted'));
    console.log(
      `      ${written.byKey.size} events, ${writer.stats.rotations} rotations, leader node ${leader} SIGKILLed and restarted, the agent SIGKILLed once: ` +
        `read_committed 0 missing, 0 duplicates (${aborted} aborted duplicates in read_uncommitted)`,
    );
  });
});
