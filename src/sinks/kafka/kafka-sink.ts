import { createSecureContext } from 'node:tls';
import kafkajs, { type CompressionTypes, type Producer } from 'kafkajs';
import type { AuditRecord, Batch } from '../../pipeline/audit-record.js';
import { DeadLetterFile } from '../../pipeline/dead-letter.js';
import { PermanentSinkError, type Sink, type SinkHealth } from '../sink.js';
import type { SinkContext } from '../sink-definition.js';
import { enableCompression } from './compression-codecs.js';
import { SEND_RETRY, kafkaClientConfig } from './kafka-client-config.js';
import { classifyKafkaFailure, rootMessage, type KafkaFailureKind } from './kafka-failure.js';
import { toKafkaMessage, type SizedMessage } from './kafka-message.js';
import type { KafkaSinkConfig } from './kafka-sink-config.js';
import { KafkaSinkMetrics } from './kafka-sink-metrics.js';
import { Murmur2Partitioner } from './murmur2-partitioner.js';
import { OversizeEvents } from './oversize-events.js';
import { recordBytesLimit, splitByBytes } from './produce-request-splitter.js';

const { Kafka } = kafkajs;

/** One producer and its client; thrown away whole when it seems stuck. */
class ProducerGeneration {
  private connecting?: Promise<void>;

  constructor(
    readonly number: number,
    readonly producer: Producer,
  ) {}

  /** Connects once; concurrent callers share the attempt, and a failed attempt is retried by the next call. */
  connect(): Promise<void> {
    this.connecting ??= this.producer.connect().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }
}

interface Outgoing {
  record: AuditRecord;
  message: SizedMessage;
}

/** One `send` call: the producer it is using (replaced if rebuilt midway), the events it set aside, when it began. */
interface SendAttempt {
  generation: ProducerGeneration;
  deadLetters: AuditRecord[];
  startedAt: number;
}

/**
 * Ships batches to one Kafka topic with kafkajs (and events that matched a detection rule to the
 * alerts topic too, when one is set). `send` resolves once the brokers acknowledged every record
 * (acks=all by default, idempotent producer). Batches are split so that no produce
 * request's record batch exceeds --kafka-max-message-bytes; a single event that cannot fit takes
 * the oversize policy. A failed send rejects (the agent retries the batch with backoff); after
 * repeated failures the producer and its client are rebuilt, because kafkajs can stay stuck on
 * dead connections or a broken idempotence sequence after a broker restart.
 */
export class KafkaSink implements Sink {
  readonly name = 'kafka';
  private readonly metrics: KafkaSinkMetrics;
  private readonly oversize: OversizeEvents;
  private readonly deadLetterFile: DeadLetterFile;
  private readonly recordLimitBytes: number;
  private compression?: CompressionTypes;
  private generation?: ProducerGeneration;
  private generations = 0;
  private consecutiveFailures = 0;
  private state: SinkHealth = { ready: false, detail: 'not started' };
  /** Sends not settled yet: a broker that accepts connections but never answers shows here first. */
  private readonly pending = new Set<SendAttempt>();

  constructor(
    private readonly config: KafkaSinkConfig,
    private readonly context: SinkContext,
  ) {
    this.metrics = new KafkaSinkMetrics(context.registry);
    this.deadLetterFile = new DeadLetterFile(config.deadLetterDir);
    this.recordLimitBytes = recordBytesLimit(config.maxMessageBytes);
    this.oversize = new OversizeEvents(
      config.oversizePolicy,
      (record) => this.toMessage(record),
      this.deadLetterFile,
      this.metrics,
      context.logger,
    );
  }

  async start(): Promise<void> {
    const { tls } = this.config;
    if (tls) {
      try {
        createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key });
      } catch (error) {
        throw new PermanentSinkError(`Kafka TLS files are unusable: ${(error as Error).message}`, { cause: error });
      }
    }
    this.compression = await enableCompression(this.config.compression);
    this.state = { ready: false, detail: `connecting to ${this.config.brokers.join(',')}` };
    // An unreachable broker is no start-up error: connect in the background; sends retry it.
    const generation = this.newGeneration();
    generation.connect().then(
      () => this.markHealthy(generation),
      (error: unknown) => {
        const failure = this.noteFailure(error, generation);
        this.context.logger.warn('Kafka is not reachable yet; sends will retry', { error: failure.message });
      },
    );
  }

  async send(batch: Batch): Promise<void> {
    const attempt: SendAttempt = { generation: this.currentGeneration(), deadLetters: [], startedAt: Date.now() };
    this.pending.add(attempt);
    try {
      await attempt.generation.connect();
      const outgoing: Outgoing[] = [];
      for (const record of batch.records) {
        const message = this.toMessage(record);
        const fitting =
          message.bytes <= this.recordLimitBytes
            ? message
            : this.oversize.fit(record, message, this.recordLimitBytes, attempt.deadLetters);
        if (fitting !== undefined) outgoing.push({ record, message: fitting });
        // The message has the key and headers: the parsed event would only wait for the
        // acknowledgement in memory (behind the producer's one request at a time).
        record.releaseEvent?.();
      }
      for (const group of splitByBytes(outgoing, (item) => item.message.bytes, this.recordLimitBytes)) {
        await this.produce(attempt, this.config.topic, group);
      }
      const { alertsTopic } = this.config;
      if (alertsTopic !== undefined) {
        const alerts = outgoing.filter((item) => (item.record.detections?.length ?? 0) > 0);
        for (const group of splitByBytes(alerts, (item) => item.message.bytes, this.recordLimitBytes)) {
          await this.produce(attempt, alertsTopic, group);
        }
      }
      this.oversize.writeDeadLetters(attempt.deadLetters);
      this.markHealthy(attempt.generation);
    } catch (error) {
      throw this.noteFailure(error, attempt.generation);
    } finally {
      this.pending.delete(attempt);
    }
  }

  async close(): Promise<void> {
    const generation = this.generation;
    this.generation = undefined;
    this.state = { ready: false, detail: 'closed' };
    await generation?.producer.disconnect();
    this.deadLetterFile.close();
  }

  /**
   * The outcome of the last send, unless a send has been waiting longer than the request timeout:
   * then the brokers are hanging (a frozen process, a black-holed network), which kafkajs only
   * reports once its retries run out, several request timeouts later.
   */
  health(): SinkHealth {
    const now = Date.now();
    let oldest = now;
    for (const attempt of this.pending) oldest = Math.min(oldest, attempt.startedAt);
    if (now - oldest > this.config.requestTimeoutMs) {
      return { ready: false, detail: `a send has waited ${Math.round((now - oldest) / 1000)} s for the Kafka brokers to answer` };
    }
    return this.state;
  }

  private toMessage(record: AuditRecord): SizedMessage {
    return toKafkaMessage(record, this.config.key, this.config.headers);
  }

  /**
   * One produce request. A broker that still finds it too large (its topic's max.message.bytes
   * is below --kafka-max-message-bytes) gets halves, down to single events, which then take the
   * oversize policy with half their size as the limit: every step shrinks, so this ends.
   * Such a refusal fails the request for every partition in it, while the broker may have
   * appended the other partitions' batches; kafkajs then reuses their sequence numbers and the
   * broker answers OUT_OF_ORDER_SEQUENCE_NUMBER forever. An idempotent producer is therefore
   * rebuilt (new producer id, sequences from 0) before the halves are sent.
   */
  private async produce(attempt: SendAttempt, topic: string, items: Outgoing[]): Promise<void> {
    try {
      await attempt.generation.producer.send({
        topic,
        messages: items.map((item) => item.message.message),
        acks: this.config.acks === 'all' ? -1 : 1,
        timeout: this.config.requestTimeoutMs,
        compression: this.compression,
      });
      this.metrics.produceRequests.inc();
    } catch (error) {
      if (classifyKafkaFailure(error) !== 'message-too-large') throw error;
      if (this.config.idempotent) {
        if (attempt.generation === this.generation) {
          this.recreateProducer(attempt.generation, 'a produce request was refused as too large');
        }
        attempt.generation = this.currentGeneration();
        await attempt.generation.connect();
      }
      if (items.length > 1) {
        const half = Math.ceil(items.length / 2);
        await this.produce(attempt, topic, items.slice(0, half));
        await this.produce(attempt, topic, items.slice(half));
        return;
      }
      const [{ record, message }] = items as [Outgoing];
      this.context.logger.error(
        'Kafka rejected an event as too large although it is within --kafka-max-message-bytes: set that option to the topic max.message.bytes',
        { messageBytes: message.bytes, maxMessageBytes: this.config.maxMessageBytes },
      );
      const smaller = this.oversize.fit(record, message, Math.floor(message.bytes / 2), attempt.deadLetters);
      if (smaller !== undefined) await this.produce(attempt, topic, [{ record, message: smaller }]);
    }
  }

  private currentGeneration(): ProducerGeneration {
    if (this.generation === undefined) throw new Error('kafka sink is not started or already closed');
    return this.generation;
  }

  private newGeneration(): ProducerGeneration {
    const kafka = new Kafka(kafkaClientConfig(this.config, this.context.logger));
    const producer = kafka.producer({
      idempotent: this.config.idempotent,
      retry: SEND_RETRY,
      // The Java client's murmur2 partitioner, so a key lands where a Java producer would put it.
      createPartitioner: Murmur2Partitioner,
    });
    this.generations += 1;
    this.generation = new ProducerGeneration(this.generations, producer);
    return this.generation;
  }

  private markHealthy(generation: ProducerGeneration): void {
    if (generation !== this.generation) return;
    this.consecutiveFailures = 0;
    this.state = { ready: true, detail: `connected to ${this.config.brokers.join(',')}` };
  }

  /** Updates health, rebuilds the producer when it looks stuck, and returns the error to reject with. */
  private noteFailure(error: unknown, generation: ProducerGeneration): Error {
    const kind = classifyKafkaFailure(error);
    const cause = rootMessage(error);
    this.metrics.sendFailures.inc({ kind });
    const failure = this.describeFailure(kind, cause, error);
    if (generation === this.generation) {
      this.state = { ready: false, detail: failure.message };
      this.consecutiveFailures += 1;
      if (kind === 'producer-state' || this.consecutiveFailures >= this.config.recreateProducerAfterFailures) {
        this.recreateProducer(generation, failure.message);
      }
    }
    return failure;
  }

  private describeFailure(kind: KafkaFailureKind, cause: string, error: unknown): Error {
    const { sasl, topic } = this.config;
    switch (kind) {
      case 'authentication':
        return new PermanentSinkError(
          `Kafka SASL authentication failed for user "${sasl?.username ?? ''}" (${sasl?.mechanism ?? 'no mechanism'}): ${cause}. Check --kafka-sasl-username and --kafka-sasl-password(-file)`,
          { cause: error },
        );
      case 'authorization':
        return new PermanentSinkError(
          `Kafka refused access: ${cause}. Grant Write on topic "${topic}" (and IdempotentWrite on the cluster for the idempotent producer)`,
          { cause: error },
        );
      case 'tls': {
        // A TLS alert comes from the broker refusing us; anything else is us refusing the broker.
        const hint = /\balert\b/i.test(cause)
          ? 'The broker refused the handshake: check --kafka-tls-cert-file and --kafka-tls-key-file (a broker with ssl.client.auth=required needs a client certificate it trusts)'
          : 'Check --kafka-tls-ca-file and that the broker certificate names the host in --kafka-brokers';
        return new PermanentSinkError(`TLS with Kafka failed: ${cause}. ${hint}`, { cause: error });
      }
      case 'unknown-topic':
        // Not permanent: the topic may be created while the agent waits.
        return new Error(
          `Kafka send failed: topic "${topic}" does not exist and the brokers do not create it (create it, or set auto.create.topics.enable): ${cause}`,
          { cause: error },
        );
      default:
        return new Error(`Kafka send failed (${kind}): ${cause}`, { cause: error });
    }
  }

  private recreateProducer(stuck: ProducerGeneration, reason: string): void {
    this.consecutiveFailures = 0;
    this.metrics.producerRecreations.inc();
    const replacement = this.newGeneration();
    this.context.logger.warn('rebuilding the Kafka producer', {
      reason,
      previousGeneration: stuck.number,
      generation: replacement.number,
    });
    stuck.producer.disconnect().catch((error: unknown) =>
      this.context.logger.debug('disconnecting the replaced Kafka producer failed', { error: rootMessage(error) }),
    );
  }
}
