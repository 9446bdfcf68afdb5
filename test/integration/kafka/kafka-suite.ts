import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import winston from 'winston';
import type { AuditRecord } from '../../../src/pipeline/audit-record.js';
import { TRUNCATED_ANNOTATION } from '../../../src/audit/truncate-large-objects.js';
import { kafkaOptionGroup } from '../../../src/sinks/kafka/kafka-options.js';
import { kafkaSinkDefinition } from '../../../src/sinks/kafka/kafka-sink-definition.js';
import { PermanentSinkError, type Sink } from '../../../src/sinks/sink.js';
import { AgentWorkspace } from '../../helpers/agent-fixture.js';
import { AgentProcess, waitUntil } from '../../helpers/agent-process.js';
import { AuditEventFactory, readRealAuditLines } from '../../helpers/audit-event-factory.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { javaPartitionOf } from '../../helpers/java-murmur2.js';
import { LumberjackWriter } from '../../helpers/lumberjack-writer.js';
import { metricValue, readyzStatus, rssBytes, startKafkaAgent } from './kafka-agent.js';
import { KafkaBroker, SASL_USER, type BrokerSpec } from './kafka-broker.js';
import { TopicReader, auditKeyOf, createTopic } from './topic-reader.js';
import { WrittenLines } from './written-lines.js';
import { parseOptions } from '../../../src/yargs-options.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A fresh workspace whose log the test writes without rotating, for scenarios of a few events. */
function smallScenario(seed: number): { workspace: AgentWorkspace; writer: LumberjackWriter; lines: WrittenLines } {
  const workspace = new AgentWorkspace();
  const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 16 * 1024 ** 2 });
  return { workspace, writer, lines: new WrittenLines(writer, new AuditEventFactory({ seed, requestResponseFraction: 0 })) };
}

/** A sink built from CLI flags exactly as `run` builds it, for connection tests without the agent. */
function sinkFromFlags(flags: string[]): Promise<Sink> {
  const argv = parseOptions(kafkaOptionGroup.options, flags);
  const logger = winston.createLogger({ silent: true });
  return kafkaSinkDefinition.create(kafkaOptionGroup.read(argv), { logger, registry: new Registry() });
}

function smallBatch(count: number, seed: number): { id: number; records: AuditRecord[]; bytes: number } {
  const lines = new AuditEventFactory({ seed, requestResponseFraction: 0 }).lines(count);
  const records = lines.map((line, offset) => ({ value: Buffer.from(line), event: JSON.parse(line), origin: { path: 'audit.log', offset } }));
  return { id: 1, records, bytes: records.reduce((sum, record) => sum + record.value.length, 0) };
}

/** Waits until every key arrived in the topic; on time-out says how many are missing and what the agent logged. */
async function waitForKeys(consumed: TopicReader, keys: readonly string[], timeoutMs: number, what: string, agent?: AgentProcess): Promise<void> {
  try {
    await waitUntil(
      () => {
        // An agent that is gone will deliver nothing more: fail now, with its log, instead of at the time-out.
        if (agent !== undefined && !isAlive(agent.pid)) throw new Error(`the agent exited while waiting for ${what}`);
        return consumed.missing(keys).length === 0;
      },
      timeoutMs,
      what,
      250,
    );
  } catch (error) {
    const log = agent === undefined ? '' : `; agent log:\n${agent.tail(20)}`;
    throw new Error(`${(error as Error).message}: ${consumed.missing(keys).length} of ${keys.length} missing${log}`);
  }
}

/** Reads the topic until every key arrived. */
async function readBack(bootstrap: string, topic: string, keys: Iterable<string>): Promise<TopicReader> {
  const reader = new TopicReader(bootstrap, topic);
  await reader.start();
  try {
    await waitUntil(() => reader.missing(keys).length === 0, 60_000, `every expected event in ${topic}`, 100);
  } finally {
    await reader.stop();
  }
  return reader;
}

/** A JWT with alg none, which the broker's unsecured OAUTHBEARER validator accepts while it has not expired. */
function unsecuredJwt(subject: string, expiresAtSeconds: number): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const issuedAt = Math.floor(Math.min(Date.now() / 1000, expiresAtSeconds - 60));
  return `${part({ alg: 'none' })}.${part({ sub: subject, iat: issuedAt, exp: Math.floor(expiresAtSeconds) })}.`;
}

function keysOf(records: readonly AuditRecord[]): string[] {
  return records.map((record) => auditKeyOf(record.value));
}

/**
 * The Kafka suite, run against one broker version: delivery across rotations, a broker outage,
 * agent crashes, oversize events, compression codecs, SASL/SCRAM and TLS.
 */
export function describeKafkaSuite(spec: Omit<BrokerSpec, 'sasl' | 'ssl'>): void {
  describe(`Kafka sink against a real Kafka ${spec.version} broker`, function () {
    this.timeout(300_000);
    const broker = new KafkaBroker({ ...spec, sasl: true, ssl: true });
    let topicNumber = 0;
    const readers: TopicReader[] = [];
    const agents: AgentProcess[] = [];

    async function newTopic(): Promise<string> {
      topicNumber += 1;
      const topic = `audit-${spec.version.replace(/\./g, '-')}-${topicNumber}-${Date.now()}`;
      await createTopic(broker.bootstrap, topic);
      return topic;
    }

    async function reader(topic: string): Promise<TopicReader> {
      const topicReader = new TopicReader(broker.bootstrap, topic);
      readers.push(topicReader);
      await topicReader.start();
      return topicReader;
    }

    function agentFor(workspace: AgentWorkspace, topic: string, extra: string[] = []): AgentProcess {
      const agent = startKafkaAgent(workspace, broker.bootstrap, topic, extra);
      agents.push(agent);
      return agent;
    }

    before(async () => {
      await broker.start({ fresh: true });
    });

    afterEach(async () => {
      for (const agent of agents.splice(0)) agent.kill('SIGKILL');
      await Promise.all(readers.splice(0).map((topicReader) => topicReader.stop()));
    });

    after(async () => {
      await broker.stop();
    });

    it('delivers 100 000 events across rotations: every auditID, values byte-identical, auditID keys, routing headers', async () => {
      const topic = await newTopic();
      const workspace = new AgentWorkspace();
      const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 4 * 1024 ** 2, compress: true, maxBackups: 0 });
      const lines = new WrittenLines(writer, new AuditEventFactory({ seed: 3, realLines: readRealAuditLines(CORPUS_DIR) }));
      const consumed = await reader(topic);
      // Processors off: redaction and detection annotations would (rightly) change some values.
      const agent = agentFor(workspace, topic, ['--no-redaction', '--no-detections']);
      await agent.waitForLog((entry) => entry.message === 'agent started');
      const startedAt = Date.now();
      await lines.write(100_000);
      await writer.close();
      await waitForKeys(consumed, [...lines.byKey.keys()], 240_000, 'every auditID in the topic', agent);
      const seconds = (Date.now() - startedAt) / 1000;
      agent.kill('SIGTERM');
      assert.equal((await agent.waitForExit()).code, 0);

      assert.ok(writer.stats.rotations >= 20, `only ${writer.stats.rotations} rotations`);
      assert.deepEqual(consumed.missing(lines.byKey.keys()), []);
      assert.equal(consumed.rereads(), 0, 'the test consumer read some offsets twice');
      // The sink adds no duplicate of its own: the topic holds exactly what the agent shipped.
      const { eventsShipped, linesRead } = agent.logsWith('agent stopped')[0] as unknown as { eventsShipped: number; linesRead: number };
      assert.equal(consumed.messages.length, eventsShipped);
      const coreRereads = linesRead - lines.byKey.size;
      let megabytes = 0;
      for (const message of consumed.messages) {
        const written = lines.byKey.get(auditKeyOf(message.value))!;
        assert.ok(message.value.equals(Buffer.from(written)), `value differs from the log line for ${auditKeyOf(message.value)}`);
        const event = JSON.parse(written);
        assert.equal(message.key, event.auditID);
        assert.equal(message.partition, javaPartitionOf(event.auditID, 3), `partition of ${event.auditID}`);
        assert.equal(message.headers.stage, event.stage);
        assert.equal(message.headers.verb, event.verb);
        assert.equal(message.headers.level, event.level);
        assert.equal(message.headers.resource, event.objectRef?.resource);
        assert.equal(message.headers.namespace, event.objectRef?.namespace);
        megabytes += message.value.length / 1024 ** 2;
      }
      const partitions = new Set(consumed.messages.map((message) => message.partition));
      assert.equal(partitions.size, 3, 'auditID keys spread over every partition');
      // Hashes checked here against the Java client's (test/helpers/java-murmur2.ts and its test).
      console.log(
        `      ${lines.byKey.size} events (${megabytes.toFixed(0)} MiB), ${writer.stats.rotations} rotations: 0 missing, ` +
          `${consumed.duplicates()} duplicates (${coreRereads} lines read twice by the tailer), ` +
          `${(lines.byKey.size / seconds).toFixed(0)} events/s end to end`,
      );
    });

    it('keeps everything when the broker is stopped mid-stream and started again; readiness drops and RSS stays flat', async () => {
      const topic = await newTopic();
      const workspace = new AgentWorkspace();
      const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 1024 ** 2, compress: true, maxBackups: 0 });
      const lines = new WrittenLines(writer, new AuditEventFactory({ seed: 11, requestResponseFraction: 0.01 }));
      const agent = agentFor(workspace, topic, ['--max-inflight-bytes', '4MiB', '--batch-max-bytes', '512KiB']);
      await agent.waitForLog((entry) => entry.message === 'agent started');
      await lines.write(10_000);
      await readBack(broker.bootstrap, topic, [...lines.byKey.keys()]);

      await broker.stop();
      const rssAtOutage = rssBytes(agent.pid);
      let rssPeak = rssAtOutage;
      await lines.write(30_000, 500);
      await waitUntil(async () => (await readyzStatus(agent)) === 503, 60_000, '/readyz to report the sink down');
      // The writer keeps rotating while the broker is away; the agent must wait without buffering it all.
      for (let sample = 0; sample < 20; sample++) {
        await lines.write(1000, 500);
        rssPeak = Math.max(rssPeak, rssBytes(agent.pid));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const rotationsDuringOutage = writer.stats.rotations;

      await broker.start();
      await writer.close();
      const consumed = await reader(topic);
      await waitForKeys(consumed, [...lines.byKey.keys()], 120_000, 'every auditID after the restart', agent);
      await waitUntil(async () => (await readyzStatus(agent)) === 200, 30_000, '/readyz to recover');
      const unreachable = await metricValue(agent, 'kube_audit_forwarder_kafka_send_failures_total{kind="unreachable"}');
      const recreations = await metricValue(agent, 'kube_audit_forwarder_kafka_producer_recreations_total');
      const growthMiB = (rssPeak - rssAtOutage) / 1024 ** 2;
      assert.ok(growthMiB < 64, `agent RSS grew by ${growthMiB.toFixed(1)} MiB while the broker was down`);
      console.log(
        `      ${lines.byKey.size} events, ${rotationsDuringOutage} rotations by the end of the outage: 0 missing, ` +
          `${consumed.duplicates()} duplicates, RSS ${(rssAtOutage / 1024 ** 2).toFixed(0)} → peak ${(rssPeak / 1024 ** 2).toFixed(0)} MiB during the outage, ` +
          `${unreachable} failed sends, ${recreations} producer rebuilds`,
      );
    });

    it('reports not ready while the broker hangs without answering (SIGSTOP), and delivers everything once it answers again', async () => {
      const topic = await newTopic();
      const workspace = new AgentWorkspace();
      const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 1024 ** 2, compress: true });
      const lines = new WrittenLines(writer, new AuditEventFactory({ seed: 17, requestResponseFraction: 0.01 }));
      const agent = agentFor(workspace, topic, ['--kafka-request-timeout-ms', '2000']);
      await lines.write(5000);
      await readBack(broker.bootstrap, topic, [...lines.byKey.keys()]);
      const brokerPid = await broker.pid();
      process.kill(brokerPid, 'SIGSTOP');
      try {
        await lines.write(5000);
        await waitUntil(async () => (await readyzStatus(agent)) === 503, 60_000, '/readyz to report the hanging broker');
      } finally {
        process.kill(brokerPid, 'SIGCONT');
      }
      await writer.close();
      const consumed = await reader(topic);
      await waitForKeys(consumed, [...lines.byKey.keys()], 120_000, 'every auditID once the broker answers again', agent);
      await waitUntil(async () => (await readyzStatus(agent)) === 200, 60_000, '/readyz to recover');
    });

    it('loses nothing when the agent is SIGKILLed and restarted several times mid-stream; duplicates are counted', async () => {
      const topic = await newTopic();
      const workspace = new AgentWorkspace();
      const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 1024 ** 2, compress: true, maxBackups: 0 });
      const lines = new WrittenLines(writer, new AuditEventFactory({ seed: 23, requestResponseFraction: 0.01 }));
      const consumed = await reader(topic);
      const kills = 5;
      for (let round = 0; round < kills; round++) {
        const agent = agentFor(workspace, topic);
        await agent.waitForLog((entry) => entry.message === 'agent started');
        const before = consumed.messages.length;
        await lines.write(8_000, 500);
        // Kill while batches are in flight: some of this round's events have arrived, not all.
        await waitUntil(() => consumed.messages.length > before + 1000, 60_000, 'delivery to be under way');
        agent.kill('SIGKILL');
        await agent.waitForExit();
      }
      const last = agentFor(workspace, topic);
      await writer.close();
      await waitForKeys(consumed, [...lines.byKey.keys()], 120_000, 'every auditID after the restarts', last);
      last.kill('SIGTERM');
      assert.equal((await last.waitForExit()).code, 0);
      const duplicates = consumed.duplicates();
      assert.ok(duplicates < lines.byKey.size, 'duplicates are bounded by what was in flight, not whole replays');
      console.log(`      ${lines.byKey.size} events, ${kills} SIGKILLs: 0 missing, ${duplicates} duplicates`);
    });

    it('truncates an event larger than message.max.bytes and goes on with the stream', async () => {
      const topic = await newTopic();
      const { workspace, writer, lines } = smallScenario(5);
      await lines.write(100);
      const huge = lines.writeVariant({
        auditID: 'a0e1f0c2-huge-0000-0000-000000000001',
        responseObject: { kind: 'SecretList', items: 'x'.repeat(3 * 1024 ** 2) },
      });
      await lines.write(100);
      await writer.close();
      // The core's own line cap is raised so the Kafka limit is the one that bites.
      const agent = agentFor(workspace, topic, ['--max-line-bytes', '8MiB']);
      const consumed = await reader(topic);
      await waitForKeys(consumed, [...lines.byKey.keys()], 60_000, 'every event, the huge one included', agent);
      const shipped = consumed.messages.find((message) => message.key === huge.auditID)!;
      assert.ok(shipped.value.length < 1024 ** 2);
      const event = JSON.parse(shipped.value.toString());
      assert.equal(event.responseObject[TRUNCATED_ANNOTATION], true);
      assert.match(event.annotations[TRUNCATED_ANNOTATION], /responseObject replaced/);
      await agent.waitForLog((entry) => /event too large for one Kafka produce request/.test(entry.message));
    });

    it('dead-letter policy: writes an event over the limit to the dead-letter file and ships the rest', async () => {
      const topic = await newTopic();
      const { workspace, writer, lines } = smallScenario(19);
      await lines.write(100);
      const huge = lines.writeVariant({ auditID: 'a0e1f0c2-huge-0000-0000-000000000004', responseObject: { items: 'z'.repeat(2 * 1024 ** 2) } });
      const hugeKey = `${huge.auditID}/${huge.stage}`;
      const hugeLine = lines.byKey.get(hugeKey)!;
      lines.byKey.delete(hugeKey);
      await lines.write(100);
      await writer.close();
      const deadLetterDir = path.join(workspace.root, 'kafka-dead-letter');
      const agent = agentFor(workspace, topic, [
        '--max-line-bytes', '8MiB', '--kafka-oversize-policy', 'dead-letter', '--kafka-dead-letter-dir', deadLetterDir,
      ]);
      const consumed = await reader(topic);
      await waitForKeys(consumed, [...lines.byKey.keys()], 60_000, 'every event but the huge one', agent);
      await agent.waitForLog((entry) => /written to .*dead-letter\.jsonl/.test(entry.message));
      const [entry] = readFileSync(path.join(deadLetterDir, 'dead-letter.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
      assert.equal(entry.line, hugeLine);
      assert.equal(consumed.counts.has(hugeKey), false, 'the dead-lettered event was shipped as well');
    });

    it('delivers into a topic with max.message.bytes=100000: refused batches go again smaller, the big event truncated', async () => {
      topicNumber += 1;
      const topic = `audit-small-${spec.version.replace(/\./g, '-')}-${topicNumber}-${Date.now()}`;
      await createTopic(broker.bootstrap, topic, 3, { config: { 'max.message.bytes': '100000' } });
      const { workspace, writer, lines } = smallScenario(9);
      await lines.write(2000);
      const huge = lines.writeVariant({ auditID: 'a0e1f0c2-huge-0000-0000-000000000002', requestObject: { data: 'y'.repeat(300_000) } });
      await lines.write(2000);
      await writer.close();
      // The default --kafka-max-message-bytes (1000000) is ten times what this topic takes.
      const agent = agentFor(workspace, topic, ['--batch-max-bytes', '4MiB', '--max-inflight-bytes', '16MiB']);
      const consumed = await reader(topic);
      await waitForKeys(consumed, [...lines.byKey.keys()], 120_000, 'every event despite the lower topic limit', agent);
      const shipped = consumed.messages.find((message) => message.key === huge.auditID)!;
      assert.ok(shipped.value.length < 100_000);
      assert.equal(JSON.parse(shipped.value.toString()).requestObject[TRUNCATED_ANNOTATION], true);
      await agent.waitForLog((entry) => /Kafka rejected a batch as too large/.test(entry.message));
    });

    it('also writes events that matched a detection rule to --alerts-kafka-topic', async () => {
      const topic = await newTopic();
      const alertsTopic = await newTopic();
      const { workspace, writer, lines } = smallScenario(13);
      await lines.write(500);
      const exec = lines.writePodExec('a0e1f0c2-exec-0000-0000-000000000003');
      await lines.write(500);
      await writer.close();
      agentFor(workspace, topic, ['--alerts-kafka-topic', alertsTopic]);
      await readBack(broker.bootstrap, topic, [...lines.byKey.keys()]);
      const alerts = await readBack(broker.bootstrap, alertsTopic, [`${exec.auditID}/${exec.stage}`]);
      for (const message of alerts.messages) {
        assert.match(message.value.toString(), /kube-audit-forwarder\.io\/detections/, 'an alert without the detections annotation');
      }
      const alert = alerts.messages.find((message) => message.key === exec.auditID)!;
      assert.match(alert.value.toString(), /pod-exec-attach/);
      assert.ok(alerts.messages.length < lines.byKey.size / 2, `${alerts.messages.length} alerts: the alerts topic is not selective`);
    });

    // The codec numbers of a record batch's attributes (Kafka's CompressionType ids).
    const CODEC_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
    for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
      it(`stores ${compression === 'none' ? 'uncompressed' : `${compression}-compressed`} batches (the broker's log says so) that the Java client reads back byte-identical`, async () => {
        const topic = await newTopic();
        const flags = ['--kafka-brokers', broker.bootstrap, '--kafka-topic', topic];
        const sink = await sinkFromFlags(compression === 'none' ? flags : [...flags, '--kafka-compression', compression]);
        await sink.start();
        const batch = smallBatch(500, 31);
        await sink.send(batch);
        await sink.close();
        const records = await broker.readTopic(topic);
        assert.deepEqual(records.map((record) => auditKeyOf(record.value)).sort(), keysOf(batch.records).sort());
        const written = new Set(batch.records.map((record) => record.value.toString('base64')));
        for (const record of records) assert.ok(written.has(record.value.toString('base64')), 'a value differs from its line');
        assert.deepEqual([...broker.storedCodecs(topic)], [CODEC_IDS[compression]]);
      });
    }

    it('lets each parsed event go once its message is built, not at the acknowledgement', async () => {
      const topic = await newTopic();
      const sink = await sinkFromFlags(['--kafka-brokers', broker.bootstrap, '--kafka-topic', topic]);
      await sink.start();
      const batch = smallBatch(200, 37);
      let released = 0;
      for (const record of batch.records) record.releaseEvent = () => (released += 1);
      await sink.send(batch);
      await sink.close();
      assert.equal(released, batch.records.length);
      const consumed = await readBack(broker.bootstrap, topic, keysOf(batch.records));
      for (const message of consumed.messages) assert.equal(message.headers.verb, JSON.parse(message.value.toString()).verb);
    });

    it('ships with --kafka-acks 1 and no idempotence, keyed by namespace, without headers', async () => {
      const topic = await newTopic();
      const sink = await sinkFromFlags([
        '--kafka-brokers', broker.bootstrap, '--kafka-topic', topic,
        '--kafka-acks', '1', '--no-kafka-idempotent', '--kafka-key', 'namespace', '--kafka-headers', 'none',
      ]);
      await sink.start();
      const batch = smallBatch(200, 37);
      await sink.send(batch);
      await sink.close();
      const consumed = await readBack(broker.bootstrap, topic, keysOf(batch.records));
      for (const message of consumed.messages) {
        const event = JSON.parse(message.value.toString());
        assert.equal(message.key, event.objectRef?.namespace ?? null);
        assert.deepEqual(message.headers, {});
      }
    });

    for (const mechanism of ['scram-sha-256', 'scram-sha-512', 'plain'] as const) {
      it(`connects with SASL ${mechanism.toUpperCase()} and names the user when the password is wrong`, async () => {
        const topic = await newTopic();
        const saslFlags = ['--kafka-brokers', broker.addresses!.saslBootstrap!, '--kafka-topic', topic, '--kafka-sasl-mechanism', mechanism, '--kafka-sasl-username', SASL_USER.username];
        const sink = await sinkFromFlags([...saslFlags, '--kafka-sasl-password', SASL_USER.password]);
        await sink.start();
        await sink.send(smallBatch(10, 41));
        assert.equal(sink.health().ready, true);
        await sink.close();

        const wrong = await sinkFromFlags([...saslFlags, '--kafka-sasl-password', 'not-the-password']);
        await wrong.start();
        await assert.rejects(wrong.send(smallBatch(1, 43)), (error: unknown) => {
          assert.ok(error instanceof PermanentSinkError, `not permanent: ${String(error)}`);
          assert.match(error.message, new RegExp(`SASL authentication failed for user "${SASL_USER.username}" \\(${mechanism}\\)`));
          return true;
        });
        assert.equal(wrong.health().ready, false);
        assert.match(wrong.health().detail, /SASL authentication failed/);
        await wrong.close();
      });
    }

    it('connects with SASL OAUTHBEARER with the token from a file, and names the file when the broker refuses the token', async () => {
      const topic = await newTopic();
      const { workspace } = smallScenario(59);
      const tokenFile = path.join(workspace.root, 'token.jwt');
      const flags = ['--kafka-brokers', broker.addresses!.saslBootstrap!, '--kafka-topic', topic, '--kafka-sasl-mechanism', 'oauthbearer', '--kafka-sasl-oauthbearer-token-file', tokenFile];
      writeFileSync(tokenFile, unsecuredJwt(SASL_USER.username, Date.now() / 1000 + 3600));
      const sink = await sinkFromFlags(flags);
      await sink.start();
      const batch = smallBatch(10, 61);
      await sink.send(batch);
      assert.equal(sink.health().ready, true);
      await sink.close();
      await readBack(broker.bootstrap, topic, keysOf(batch.records));

      // The broker's validator refuses an expired token.
      writeFileSync(tokenFile, unsecuredJwt(SASL_USER.username, Date.now() / 1000 - 3600));
      const refused = await sinkFromFlags(flags);
      await refused.start();
      await assert.rejects(refused.send(smallBatch(1, 67)), (error: unknown) => {
        assert.ok(error instanceof PermanentSinkError, `not permanent: ${String(error)}`);
        assert.match(error.message, new RegExp(`SASL authentication failed with the token in ${tokenFile.replace(/[.]/g, '\\.')} \\(oauthbearer\\)`));
        return true;
      });
      await refused.close();
    });

    it('connects with SASL SCRAM-SHA-512 over TLS (SASL_SSL) and names the user when the password is wrong', async () => {
      const topic = await newTopic();
      const flags = [
        '--kafka-brokers', broker.addresses!.saslSslBootstrap!, '--kafka-topic', topic, '--kafka-tls-ca-file', broker.addresses!.tlsCaFile!,
        '--kafka-sasl-mechanism', 'scram-sha-512', '--kafka-sasl-username', SASL_USER.username,
      ];
      const sink = await sinkFromFlags([...flags, '--kafka-sasl-password', SASL_USER.password]);
      await sink.start();
      const batch = smallBatch(10, 71);
      await sink.send(batch);
      assert.equal(sink.health().ready, true);
      await sink.close();
      await readBack(broker.bootstrap, topic, keysOf(batch.records));

      const wrong = await sinkFromFlags([...flags, '--kafka-sasl-password', 'not-the-password']);
      await wrong.start();
      await assert.rejects(wrong.send(smallBatch(1, 73)), (error: unknown) => {
        assert.ok(error instanceof PermanentSinkError, `not permanent: ${String(error)}`);
        assert.match(error.message, new RegExp(`SASL authentication failed for user "${SASL_USER.username}" \\(scram-sha-512\\)`));
        return true;
      });
      await wrong.close();
    });

    it('connects over TLS to a broker with a certificate from a CA made for the test, and explains an untrusted one', async () => {
      const topic = await newTopic();
      const tlsFlags = ['--kafka-brokers', broker.addresses!.sslBootstrap!, '--kafka-topic', topic];
      const sink = await sinkFromFlags([...tlsFlags, '--kafka-tls-ca-file', broker.addresses!.tlsCaFile!]);
      await sink.start();
      const batch = smallBatch(10, 47);
      await sink.send(batch);
      await sink.close();
      await readBack(broker.bootstrap, topic, keysOf(batch.records));

      const untrusting = await sinkFromFlags([...tlsFlags, '--kafka-tls']);
      await untrusting.start();
      await assert.rejects(untrusting.send(smallBatch(1, 53)), (error: unknown) => {
        assert.ok(error instanceof PermanentSinkError, `not permanent: ${String(error)}`);
        assert.match(error.message, /TLS with Kafka failed: .*certificate verify failed.*--kafka-tls-ca-file/);
        return true;
      });
      await untrusting.close();
    });
  });
}
