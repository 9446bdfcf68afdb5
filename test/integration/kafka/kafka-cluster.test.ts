import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentWorkspace } from '../../helpers/agent-fixture.js';
import { type AgentProcess, waitUntil } from '../../helpers/agent-process.js';
import { AuditEventFactory } from '../../helpers/audit-event-factory.js';
import { LumberjackWriter } from '../../helpers/lumberjack-writer.js';
import { metricValue as metric, readyzStatus as readyz, rssBytes, startKafkaAgent } from './kafka-agent.js';
import { KafkaCluster } from './kafka-cluster.js';
import { TopicReader, auditKeyOf, createTopic } from './topic-reader.js';

const DELIVERED = 'kube_audit_forwarder_kafka_messages_delivered_total';

/** Writes `count` audit lines in bursts, remembering each `auditID/stage`, while the test does other things. */
async function writeLines(writer: LumberjackWriter, factory: AuditEventFactory, keys: Set<string>, count: number, burst = 500): Promise<void> {
  for (let written = 0; written < count; written += burst) {
    const lines = factory.lines(Math.min(burst, count - written));
    for (const line of lines) keys.add(auditKeyOf(Buffer.from(line)));
    writer.writeMany(lines);
    await sleep(0);
  }
}

describe('Kafka sink against a real 3-node Kafka 4.4.0 cluster (replication factor 3, min.insync.replicas 2)', function () {
  this.timeout(900_000);
  const cluster = new KafkaCluster('kafka-it-cluster', 23092);
  const agents: AgentProcess[] = [];
  const readers: TopicReader[] = [];

  before(async () => {
    await cluster.start({ fresh: true });
  });

  afterEach(async () => {
    for (const agent of agents.splice(0)) agent.kill('SIGKILL');
    await Promise.all(readers.splice(0).map((reader) => reader.stop()));
    // A test that failed midway may leave nodes down.
    await cluster.start();
  });

  after(async () => {
    await cluster.stop();
  });

  async function readAll(topic: string, keys: Set<string>, agent: AgentProcess): Promise<TopicReader> {
    const reader = new TopicReader(cluster.bootstrap, topic);
    readers.push(reader);
    // A node just restarted may not know the topic yet ("does not host this topic-partition").
    await waitUntil(
      () => reader.start().then(() => true, () => reader.stop().then(() => false)),
      60_000,
      `the reader to subscribe to ${topic}`,
      500,
    );
    try {
      await waitUntil(() => reader.missing(keys).length === 0, 300_000, `every auditID in ${topic}`, 500);
    } catch (error) {
      throw new Error(`${(error as Error).message}: ${reader.missing(keys).length} of ${keys.size} missing; agent log:\n${agent.tail(20)}`);
    }
    return reader;
  }

  it('loses nothing while the partition leaders\' broker is SIGKILLed and restarted, then every node restarted in turn, during 120 000 events with rotations', async () => {
    const topic = `audit-cluster-failover-${Date.now()}`;
    await createTopic(cluster.bootstrap, topic, 3, { replicationFactor: 3 });
    const workspace = new AgentWorkspace();
    const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 4 * 1024 ** 2, compress: true, maxBackups: 0 });
    const keys = new Set<string>();
    const agent = startKafkaAgent(workspace, cluster.bootstrap, topic, ['--max-inflight-bytes', '8MiB']);
    agents.push(agent);
    await agent.waitForLog((entry) => entry.message === 'agent started');
    const factory = new AuditEventFactory({ seed: 71, requestResponseFraction: 0.01 });
    const writing = writeLines(writer, factory, keys, 90_000);

    const deliveredAtLeast = (count: number, what: string): Promise<void> =>
      waitUntil(async () => (await metric(agent, DELIVERED)) >= count, 300_000, what, 250);

    await deliveredAtLeast(15_000, '15 000 events delivered before the crash');
    const leader = await cluster.leaderOf(topic);
    await cluster.stopNode(leader, 'kill');
    const atKill = await metric(agent, DELIVERED);
    // Two replicas of three still make min.insync.replicas: delivery goes on without the node.
    await deliveredAtLeast(atKill + 10_000, '10 000 more events with the leader gone');
    await cluster.start();
    await writing;

    // Rolling restart: each node stops (SIGTERM) while 10 000 more events are written and delivered, then comes back.
    for (const node of cluster.nodeIds) {
      await cluster.stopNode(node, 'stop');
      await writeLines(writer, factory, keys, 10_000);
      await deliveredAtLeast(keys.size, `as many deliveries as events written, with node ${node} stopped`);
      await cluster.start();
    }
    await writer.close();

    const reader = await readAll(topic, keys, agent);
    assert.deepEqual(reader.missing(keys), []);
    const rotations = writer.stats.rotations;
    assert.ok(rotations >= 20, `only ${rotations} rotations`);
    console.log(
      `      ${keys.size} events, ${rotations} rotations, leader node ${leader} SIGKILLed, then ${cluster.nodeIds.length} nodes restarted in turn: ` +
        `0 missing, ${reader.duplicates()} duplicates`,
    );
  });

  it('keeps memory flat and /readyz not ready while the whole cluster is down for 60 s, then delivers everything', async () => {
    const topic = `audit-cluster-outage-${Date.now()}`;
    await createTopic(cluster.bootstrap, topic, 3, { replicationFactor: 3 });
    const workspace = new AgentWorkspace();
    const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 1024 ** 2, compress: true, maxBackups: 0 });
    const factory = new AuditEventFactory({ seed: 73, requestResponseFraction: 0.01 });
    const keys = new Set<string>();
    const agent = startKafkaAgent(workspace, cluster.bootstrap, topic, ['--max-inflight-bytes', '8MiB']);
    agents.push(agent);
    await agent.waitForLog((entry) => entry.message === 'agent started');
    await writeLines(writer, factory, keys, 10_000);
    await waitUntil(async () => (await metric(agent, DELIVERED)) >= 10_000, 120_000, 'the first 10 000 events delivered', 250);

    await cluster.stop();
    const downAt = Date.now();
    const rssAtOutage = rssBytes(agent.pid);
    let rssPeak = rssAtOutage;
    let notReadyAt: number | undefined;
    // The writer goes on (and rotates) for the whole minute; the agent must wait without buffering it all.
    while (Date.now() - downAt < 60_000) {
      await writeLines(writer, factory, keys, 500);
      rssPeak = Math.max(rssPeak, rssBytes(agent.pid));
      if (notReadyAt === undefined && (await readyz(agent)) === 503) notReadyAt = Date.now();
      await sleep(500);
    }
    assert.ok(notReadyAt !== undefined, '/readyz never reported the cluster down');
    assert.equal(await readyz(agent), 503, '/readyz is ready again while every broker is down');
    const rotationsDuringOutage = writer.stats.rotations;

    await cluster.start();
    await writer.close();
    const reader = await readAll(topic, keys, agent);
    await waitUntil(async () => (await readyz(agent)) === 200, 60_000, '/readyz to recover', 250);
    const growthMiB = (rssPeak - rssAtOutage) / 1024 ** 2;
    assert.ok(growthMiB < 64, `agent RSS grew by ${growthMiB.toFixed(1)} MiB while the cluster was down`);
    console.log(
      `      ${keys.size} events, ${rotationsDuringOutage} rotations by the end of the 60 s outage, /readyz 503 after ${((notReadyAt - downAt) / 1000).toFixed(1)} s: ` +
        `0 missing, ${reader.duplicates()} duplicates, RSS ${(rssAtOutage / 1024 ** 2).toFixed(0)} → peak ${(rssPeak / 1024 ** 2).toFixed(0)} MiB during the outage`,
    );
  });
});
