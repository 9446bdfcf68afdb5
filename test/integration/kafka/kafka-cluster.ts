import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import { readTopicWithJava, type IsolationLevel, type JavaReadRecord } from './kafka-broker.js';

const run = promisify(execFile);
const { Kafka, logLevel } = kafkajs;
/** dist/test/integration/kafka → repository root. */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const SCRIPTS = path.join(REPO_ROOT, 'scripts');

/** A real 3-node KRaft cluster run by scripts/kafka-cluster.sh (replication factor 3, min.insync.replicas 2). */
export class KafkaCluster {
  bootstrap = '';
  /** scripts/kafka.sh flags of each node, by node id (1, 2, 3). */
  private readonly nodeFlags = new Map<number, string[]>();

  constructor(
    private readonly name: string,
    private readonly basePort: number,
    private readonly version = '4.4.0',
  ) {}

  private flags(): string[] {
    return ['--version', this.version, '--name', this.name, '--base-port', String(this.basePort)];
  }

  /** Starts every node that is not running and resolves once all three answer metadata. */
  async start(options: { fresh: boolean } = { fresh: false }): Promise<void> {
    const args = ['start', ...this.flags(), ...(options.fresh ? ['--fresh'] : [])];
    const { stdout } = await run(path.join(SCRIPTS, 'kafka-cluster.sh'), args, { timeout: 600_000 });
    for (const line of stdout.split('\n')) {
      const bootstrap = /^KAFKA_BOOTSTRAP=(.*)$/.exec(line);
      if (bootstrap) this.bootstrap = bootstrap[1]!;
      const node = /^KAFKA_NODE_(\d+)_FLAGS=(.*)$/.exec(line);
      if (node) this.nodeFlags.set(Number(node[1]), node[2]!.split(' '));
    }
  }

  async stop(): Promise<void> {
    await run(path.join(SCRIPTS, 'kafka-cluster.sh'), ['stop', ...this.flags()], { timeout: 600_000 });
  }

  /** SIGKILL (a crash) or SIGTERM (a clean stop) of one node; its data stays for the restart. */
  async stopNode(id: number, how: 'kill' | 'stop'): Promise<void> {
    await run(path.join(SCRIPTS, 'kafka.sh'), [how, ...this.nodeFlagsOf(id)], { timeout: 180_000 });
  }

  /** The node leading the most partitions of the topic (the lowest id on a tie). */
  async leaderOf(topic: string): Promise<number> {
    const admin = new Kafka({
      brokers: this.bootstrap.split(','),
      clientId: 'kafka-it-cluster-admin',
      logLevel: logLevel.NOTHING,
      // A node that has not caught up with the topic's metadata answers UNKNOWN_TOPIC_OR_PARTITION.
      retry: { retries: 20 },
    }).admin();
    await admin.connect();
    try {
      const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      const led = new Map<number, number>();
      for (const partition of metadata!.partitions) led.set(partition.leader, (led.get(partition.leader) ?? 0) + 1);
      return [...led.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
    } finally {
      await admin.disconnect();
    }
  }

  /** Every record of a topic as the Java client reads it from the cluster (see KafkaBroker.readTopic). */
  async readTopic(topic: string, isolation: IsolationLevel = 'read_uncommitted'): Promise<JavaReadRecord[]> {
    const node = this.nodeFlagsOf(this.nodeIds[0]!);
    return readTopicWithJava([...node, '--bootstrap', this.bootstrap, '--topic', topic, '--isolation', isolation]);
  }

  get nodeIds(): number[] {
    return [...this.nodeFlags.keys()].sort();
  }

  private nodeFlagsOf(id: number): string[] {
    const flags = this.nodeFlags.get(id);
    if (!flags) throw new Error(`no node ${id} in cluster ${this.name}`);
    return flags;
  }
}
