import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { freePort, OtelForwardServer, runServerScript } from '../test/helpers/forward/server-scripts.js';
import { KafkaBroker } from '../test/integration/kafka/kafka-broker.js';
import { createTopic } from '../test/integration/kafka/topic-reader.js';
import { countOccurrences } from './count-occurrences.js';

const { Kafka, logLevel } = kafkajs;

/** Where a catch-up ships to: the agent's sink flags, and how to count what arrived there. */
export interface SinkTarget {
  sinkArgs: string[];
  countDelivered(): Promise<number>;
  /** Frees what the run left at the far side (output files, topics). */
  cleanUp(): Promise<void>;
}

/** The file sink, fsync after every batch as by default: acknowledged means on disk. */
export function fileTarget(outputPath: string): SinkTarget {
  return {
    sinkArgs: ['--sink', 'file', '--file-path', outputPath],
    countDelivered: () => countOccurrences(outputPath, Buffer.from('\n')),
    cleanUp: async () => rmSync(outputPath, { force: true }),
  };
}

/** A Kafka topic as a catch-up's far side: Fluent Bit's out_kafka is pointed at the same one. */
export interface KafkaTarget extends SinkTarget {
  topic: string;
}

/** A real single-node Kafka broker (scripts/kafka.sh), fresh for the benchmark and removed after it. */
export class BenchKafka {
  private readonly broker: KafkaBroker;

  constructor(version: string, port: number) {
    this.broker = new KafkaBroker({ version, name: 'kaf-bench', port });
  }

  async start(): Promise<void> {
    await this.broker.start({ fresh: true });
  }

  async stop(): Promise<void> {
    await runServerScript('kafka.sh', ['clean', '--version', this.broker.spec.version, '--name', this.broker.spec.name]);
  }

  get bootstrap(): string {
    return this.broker.bootstrap;
  }

  /**
   * A new three-partition topic per run, so each count starts from zero. With exactly-once, a
   * compacted checkpoint topic beside it, and the count leaves out the transaction markers.
   */
  async target(topic: string, codec: string, delivery: 'at-least-once' | 'exactly-once' = 'at-least-once'): Promise<KafkaTarget> {
    const bootstrap = this.broker.bootstrap;
    await createTopic(bootstrap, topic);
    const checkpointTopic = `${topic}-checkpoints`;
    const exactlyOnce = delivery === 'exactly-once';
    if (exactlyOnce) await createTopic(bootstrap, checkpointTopic, 1, { config: { 'cleanup.policy': 'compact' } });
    const admin = new Kafka({ brokers: [bootstrap], clientId: 'kaf-bench-admin', logLevel: logLevel.NOTHING }).admin();
    const deliveryArgs = exactlyOnce
      ? ['--kafka-delivery', 'exactly-once', '--kafka-transactional-id', `${topic}-node`, '--kafka-checkpoint-topic', checkpointTopic]
      : [];
    return {
      topic,
      sinkArgs: ['--sink', 'kafka', '--kafka-brokers', bootstrap, '--kafka-topic', topic, '--kafka-compression', codec, ...deliveryArgs],
      countDelivered: async () => {
        if (exactlyOnce) return this.broker.storedDataRecords(topic);
        await admin.connect();
        const offsets = await admin.fetchTopicOffsets(topic);
        return offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
      },
      cleanUp: async () => {
        await admin.connect();
        await admin.deleteTopics({ topics: exactlyOnce ? [topic, checkpointTopic] : [topic] }).catch(() => undefined);
        await admin.disconnect();
      },
    };
  }
}

/**
 * The real forward server (scripts/forward-server.sh: an OpenTelemetry Collector whose forward
 * receiver acks a chunk once its file exporter took it). Each log record it writes carries the
 * attribute fluent.tag once, which is how records are counted without parsing gigabytes of OTLP.
 */
export class BenchForwardServer {
  private server?: OtelForwardServer;

  constructor(private readonly dir: string) {}

  async start(): Promise<void> {
    this.server = new OtelForwardServer(await freePort(), this.dir);
    await this.server.start();
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The port it listens on, for peers configured to send to it. */
  get port(): number {
    return this.server!.port;
  }

  target(compression: string): SinkTarget {
    const server = this.server!;
    return {
      sinkArgs: ['--sink', 'forward', '--forward-servers', server.address, '--forward-compression', compression],
      countDelivered: async () => {
        // The exporter flushes every 100 ms; stopping the server flushes the rest.
        await server.stop();
        return countOccurrences(server.outputPath, Buffer.from('"key":"fluent.tag"'));
      },
      // The next run starts from an empty output file.
      cleanUp: async () => {
        rmSync(server.outputPath, { force: true });
        await server.start();
      },
    };
  }
}

const ACK_ONLY_SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ack-only-forward-server.js');

/**
 * The ack-only forward server (ack-only-forward-server.ts), in its own process: the agent's
 * forward pace when the server costs next to nothing. Delivered is the sum of the messages'
 * `size`, which the unit and integration tests check against the entries.
 */
export class AckOnlyForwardServer {
  private child?: ChildProcess;
  private output = '';

  async start(): Promise<string> {
    const child = spawn(process.execPath, [ACK_ONLY_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child = child;
    this.output = '';
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    while (!this.output.includes('\n')) await once(child.stdout!, 'data');
    return `127.0.0.1:${this.output.split('\n')[0]}`;
  }

  /** Stops the server and returns how many entries it acked. */
  async stop(): Promise<number> {
    const child = this.child;
    if (!child || child.exitCode !== null) return 0;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
    return Number(this.output.split('\n')[1]);
  }

  async target(compression: string): Promise<SinkTarget> {
    const address = await this.start();
    return {
      sinkArgs: ['--sink', 'forward', '--forward-servers', address, '--forward-compression', compression],
      countDelivered: () => this.stop(),
      cleanUp: async () => void (await this.stop()),
    };
  }
}
