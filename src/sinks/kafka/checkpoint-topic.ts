import RdKafka from '@confluentinc/kafka-javascript';
import type { LibrdkafkaConfig } from './librdkafka-config.js';

type Consumer = InstanceType<typeof RdKafka.KafkaConsumer>;

/** Messages asked for per consume call: the topic is compacted, so few are left per key. */
const CONSUME_BATCH = 1000;
/** How long one consume call waits for messages before it looks at the end offsets again. */
const CONSUME_WAIT_MS = 200;

/** librdkafka's logical offset for "the partition's first offset". */
const OFFSET_BEGINNING = -2;

/** The last record of one key in a partition, as read. */
interface Found {
  value: Buffer;
  timestamp: number;
}

/**
 * Reads the value of the last committed record with `key` from the checkpoint topic, with a
 * read_committed consumer: the records of aborted or still-open transactions are never seen,
 * so what it returns is the checkpoint of the last transaction that committed. Every partition
 * is read from its start to its last stable offset (compaction keeps that short); the key's
 * records are all in one partition unless partitions were added, and then the newest wins.
 * Undefined when the topic does not exist or holds no record of the key. Rejects on a
 * connection failure or when the end is not reached within `timeoutMs`.
 */
export async function readCommittedCheckpoint(settings: LibrdkafkaConfig, topic: string, key: string, timeoutMs: number): Promise<Buffer | undefined> {
  const consumer = new RdKafka.KafkaConsumer(
    {
      ...settings,
      // Required by the client; no offset is ever committed for it (the partitions are assigned, not subscribed).
      'group.id': `${key}.checkpoint-reader`,
      'enable.auto.commit': false,
      'isolation.level': 'read_committed',
      'enable.partition.eof': true,
    } as RdKafka.ConsumerGlobalConfig,
    { 'auto.offset.reset': 'earliest' },
  );
  const deadline = Date.now() + timeoutMs;
  await call<unknown>((done) => consumer.connect({ timeout: timeoutMs }, done));
  try {
    const metadata = await call<RdKafka.Metadata>((done) => consumer.getMetadata({ topic, timeout: remaining(deadline) }, done));
    const partitions = metadata.topics.find((entry) => entry.name === topic)?.partitions ?? [];
    if (partitions.length === 0) return undefined;
    const unread = new Map<number, number>();
    for (const { id } of partitions) {
      const { lowOffset, highOffset } = await call<RdKafka.WatermarkOffsets>((done) =>
        consumer.queryWatermarkOffsets(topic, id, remaining(deadline), done),
      );
      // With read_committed the high offset is the last stable offset: an open transaction's records lie beyond it.
      if (highOffset > lowOffset) unread.set(id, highOffset);
    }
    return await readToEnd(consumer, topic, key, unread, deadline);
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

async function readToEnd(consumer: Consumer, topic: string, key: string, ends: Map<number, number>, deadline: number): Promise<Buffer | undefined> {
  if (ends.size === 0) return undefined;
  const found = new Map<number, Found>();
  consumer.on('partition.eof', (eof) => {
    if (eof.offset >= (ends.get(eof.partition) ?? Infinity)) ends.delete(eof.partition);
  });
  consumer.assign([...ends.keys()].map((partition) => ({ topic, partition, offset: OFFSET_BEGINNING })));
  consumer.setDefaultConsumeTimeout(CONSUME_WAIT_MS);
  while (ends.size > 0) {
    if (Date.now() > deadline) throw new Error(`the checkpoint topic ${topic} was not read to its end in time (${ends.size} partitions left)`);
    const messages = await call<RdKafka.Message[]>((done) => consumer.consume(CONSUME_BATCH, done));
    for (const message of messages) {
      if (message.value && message.key !== undefined && message.key !== null && message.key.toString() === key) {
        found.set(message.partition, { value: message.value, timestamp: message.timestamp ?? 0 });
      }
      if (message.offset + 1 >= (ends.get(message.partition) ?? Infinity)) ends.delete(message.partition);
    }
  }
  let newest: Found | undefined;
  for (const candidate of found.values()) if (!newest || candidate.timestamp > newest.timestamp) newest = candidate;
  return newest?.value;
}

function remaining(deadline: number): number {
  return Math.max(1, deadline - Date.now());
}

function call<T>(start: (done: (error: unknown, result: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, result) => (error ? reject(error) : resolve(result))));
}
