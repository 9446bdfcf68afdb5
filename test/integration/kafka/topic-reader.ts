import kafkajs, { type Consumer, type IHeaders } from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

export interface ConsumedMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

const AUDIT_ID = /"auditID":"([^"]*)"/;
const STAGE = /"stage":"([^"]*)"/;

/** `auditID/stage`, the key consumers dedupe on, read from the start of a message value. */
export function auditKeyOf(value: Buffer): string {
  const text = value.toString('utf8', 0, Math.min(value.length, 4096));
  return `${AUDIT_ID.exec(text)?.[1]}/${STAGE.exec(text)?.[1]}`;
}

function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) result[name] = value.toString();
  }
  return result;
}

/**
 * Reads a topic from its beginning with a real consumer, kafkajs: a pure-JavaScript client that
 * shares no code with the agent's librdkafka (it reads uncompressed and gzip batches; the codec
 * tests read with the Java client through KafkaBroker.readTopic) (its own group) while a test runs, and
 * keeps every message, so the test can wait until all written events arrived and then compare.
 */
export class TopicReader {
  readonly messages: ConsumedMessage[] = [];
  /** How often each `auditID/stage` arrived. */
  readonly counts = new Map<string, number>();
  private consumer?: Consumer;

  constructor(
    private readonly bootstrap: string,
    private readonly topic: string,
  ) {}

  async start(): Promise<void> {
    const kafka = new Kafka({ brokers: this.bootstrap.split(','), clientId: 'kafka-it-reader', logLevel: logLevel.NOTHING });
    this.consumer = kafka.consumer({
      groupId: `reader-${this.topic}-${process.pid}-${Date.now()}`,
      maxBytes: 16 * 1024 ** 2,
      // A fetch of an empty partition returns after this, not after kafkajs' default 5 s.
      maxWaitTimeInMs: 200,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const value = message.value ?? Buffer.alloc(0);
          this.messages.push({
            partition: batch.partition,
            offset: message.offset,
            key: message.key === null ? null : message.key.toString(),
            value,
            headers: headerStrings(message.headers),
          });
          const key = auditKeyOf(value);
          this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  missing(keys: Iterable<string>): string[] {
    const missing: string[] = [];
    for (const key of keys) if (!this.counts.has(key)) missing.push(key);
    return missing;
  }

  /** Messages read twice at the same partition and offset: the consumer's doing, not the producer's. */
  rereads(): number {
    const seen = new Set(this.messages.map((message) => `${message.partition}@${message.offset}`));
    return this.messages.length - seen.size;
  }

  duplicates(): number {
    let duplicates = 0;
    for (const count of this.counts.values()) duplicates += count - 1;
    return duplicates;
  }
}

/** Creates a topic with several partitions, so keys and ordering are exercised across partitions. */
export async function createTopic(
  bootstrap: string,
  topic: string,
  partitions = 3,
  options: { replicationFactor?: number; config?: Record<string, string> } = {},
): Promise<void> {
  const admin = new Kafka({ brokers: bootstrap.split(','), clientId: 'kafka-it-admin', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const configEntries = Object.entries(options.config ?? {}).map(([name, value]) => ({ name, value }));
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: options.replicationFactor ?? 1, configEntries }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}
