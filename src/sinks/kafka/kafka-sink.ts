import { createSecureContext } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import RdKafka from '@confluentinc/kafka-javascript';
import type { CheckpointDocument } from '../../checkpoint/checkpoint-schema.js';
import type { AuditRecord, Batch } from '../../pipeline/audit-record.js';
import { backoffDelay } from '../../pipeline/backoff.js';
import { DeadLetterFile } from '../../pipeline/dead-letter.js';
import { PermanentSinkError, SinkFencedError, type Sink, type SinkHealth, type SinkTransactions } from '../sink.js';
import type { SinkContext } from '../sink-definition.js';
import { readCommittedCheckpoint } from './checkpoint-topic.js';
import { DeliveryTracker, type DeliveryError } from './delivery-tracker.js';
import { LIBRDKAFKA_ERRORS, classifyKafkaFailure, rootMessage, type KafkaFailureKind } from './kafka-failure.js';
import { KafkaMessageBuilder, recordBytesLimit, type SizedMessage } from './kafka-message.js';
import type { KafkaExactlyOnceConfig, KafkaSinkConfig } from './kafka-sink-config.js';
import { KafkaSinkMetrics } from './kafka-sink-metrics.js';
import { connectionSettings, librdkafkaConfig, type LibrdkafkaConfig } from './librdkafka-config.js';
import { readOauthbearerToken } from './oauthbearer-token-file.js';
import { OversizeEvents } from './oversize-events.js';

type Producer = InstanceType<typeof RdKafka.Producer>;

/** Failures no retry of the same producer can fix: every waiting batch fails at once with the explanation. */
const PERMANENT_KINDS = new Set<KafkaFailureKind>(['authentication', 'authorization', 'tls']);
/** How often librdkafka is polled while connecting (its error events and logs come only through polls). */
const CONNECT_POLL_MS = 100;
/** How long `close` lets librdkafka deliver what it still holds. */
const CLOSE_FLUSH_MS = 10_000;
/** The smallest message.max.bytes refusals may lower it to (the option's own minimum). */
const MIN_MESSAGE_MAX_BYTES = 4096;
/** How long a failed transaction waits for the error event of a fatal error, which tells a fencing apart. */
const FATAL_EVENT_WAIT_MS = 2000;
/** Backoff between attempts to read the committed checkpoint at start. */
const CHECKPOINT_READ_RETRY_MIN_MS = 500;
const CHECKPOINT_READ_RETRY_MAX_MS = 10_000;

/** One message of a batch; librdkafka hands it back as the report's opaque. */
interface Outgoing {
  record: AuditRecord;
  tracker: DeliveryTracker;
}

/** A transaction of the exactly-once mode, begun on one producer. */
interface OpenTransaction {
  generation: ProducerGeneration;
  /** What the delivery reports of its events said (refused as too large). */
  tracker: DeliveryTracker;
  /** Its events set aside for the dead-letter file, written just before the commit. */
  deadLetters: AuditRecord[];
  /** The commit was called: a failure now may not have aborted it. */
  committing: boolean;
}

/** One librdkafka producer, with the message.max.bytes it was made with; replaced whole when beyond repair. */
class ProducerGeneration {
  private connecting?: Promise<void>;
  private rejectConnect?: (error: Error) => void;
  readonly trackers = new Set<DeliveryTracker>();
  /** Resolvers of produce calls waiting for room in librdkafka's queue. */
  readonly roomWaiters: Array<() => void> = [];
  /** A failure that makes this producer useless (refused login, fatal error): the next send takes a new one. */
  broken?: Error;
  /**
   * librdkafka's last error-level log line ("SSL handshake failed: … certificate verify failed …"):
   * its error events carry only a generic text ("ssl error", "authentication failure").
   */
  lastFailureLog?: string;
  private stopConnectPolling?: () => void;
  private fatalReported?: () => void;
  /** Resolves once librdkafka's error event of a fatal error arrived (it says why: fenced, or another cause). */
  readonly fatalErrorEvent = new Promise<void>((resolve) => (this.fatalReported = resolve));

  constructor(
    readonly number: number,
    readonly producer: Producer,
    readonly maxMessageBytes: number,
  ) {}

  /**
   * Connects once (librdkafka then reconnects by itself); concurrent callers share the attempt.
   * A transactional producer also registers its transactional id, which fences every earlier
   * producer of that id and ends (aborts, or completes a commit already decided) its open transaction.
   */
  connect(topic: string, timeoutMs: number, transactional: boolean): Promise<void> {
    this.connecting ??= new Promise<void>((resolve, reject) => {
      this.rejectConnect = reject;
      // Until the producer is ready nothing polls it, and a refused login would only show as a
      // metadata time-out: poll meanwhile, so its error event arrives (and aborts the connect).
      // The binding's poll() throws once its native handle is disconnected, which can come before
      // its JS flag says so (a close racing the connect): that would be an uncaught exception in
      // a timer, so a throwing poll just ends the polling.
      const poller = setInterval(() => {
        try {
          if (this.producer.isConnected()) this.producer.poll();
        } catch {
          clearInterval(poller);
        }
      }, CONNECT_POLL_MS);
      poller.unref();
      this.stopConnectPolling = () => clearInterval(poller);
      this.producer.connect({ topic, timeout: timeoutMs }, (error) => {
        clearInterval(poller);
        if (error) reject(error);
        else if (!transactional) resolve();
        else this.producer.initTransactions(timeoutMs, (initError) => (initError ? reject(initError) : resolve()));
      });
    });
    return this.connecting;
  }

  /** Ends a connect still waiting for metadata, e.g. because the broker refused the login. */
  abortConnect(error: Error): void {
    this.stopConnectPolling?.();
    this.rejectConnect?.(error);
  }

  noteFatal(): void {
    this.fatalReported?.();
  }

  /** librdkafka's reason for the latest failure, with the thread prefix left out. */
  noteLog(log: { severity: number; message: string }): void {
    if (log.severity <= 3) this.lastFailureLog = log.message.replace(/^\[thrd:[^\]]*\]: /, '');
  }

  /** Lets one produce call that found the queue full try again (a delivery report made room). */
  madeRoom(): void {
    this.roomWaiters.shift()?.();
  }
}

/**
 * Ships batches to one Kafka topic with librdkafka's Producer (and events that matched a
 * detection rule to the alerts topic too, when one is set): one produce call per event, the
 * original line bytes as value. `send` resolves once the delivery report of every message of
 * the batch came back without error (acks=all, idempotent producer by default); librdkafka
 * batches, compresses, retries and reconnects on its own. A report with an error fails the send
 * (the agent retries the batch). Messages the broker refused as too large for the topic are
 * produced again through a producer with half the message.max.bytes, down to single events,
 * which then take the oversize policy: every step shrinks, so this ends.
 */
export class KafkaSink implements Sink {
  readonly name = 'kafka';
  private readonly metrics: KafkaSinkMetrics;
  private readonly oversize: OversizeEvents;
  private readonly deadLetterFile: DeadLetterFile;
  private readonly messages: KafkaMessageBuilder;
  private generation?: ProducerGeneration;
  private generations = 0;
  readonly transactions?: SinkTransactions;
  /**
   * The checkpoint record of a commit whose outcome is unknown (the commit call failed without
   * saying the transaction was aborted): the next commit first looks whether it is the one the
   * topic holds, which means that transaction did commit.
   */
  private uncertainCommit?: Buffer;
  /** The transaction batches are being added to (exactly-once), until it is committed or aborted. */
  private openTransaction?: OpenTransaction;
  private state: SinkHealth = { ready: false, detail: 'not started' };
  /** When each unsettled send began: a broker that accepts connections but never answers shows here first. */
  private readonly pending = new Set<{ startedAt: number }>();

  constructor(
    private readonly config: KafkaSinkConfig,
    private readonly context: SinkContext,
  ) {
    this.metrics = new KafkaSinkMetrics(context.registry);
    this.deadLetterFile = new DeadLetterFile(config.deadLetterDir);
    this.messages = new KafkaMessageBuilder(config.key, config.headers);
    this.oversize = new OversizeEvents(
      config.oversizePolicy,
      (record) => this.messages.build(record),
      this.deadLetterFile,
      this.metrics,
      context.logger,
    );
    const { exactlyOnce } = config;
    if (exactlyOnce) {
      this.transactions = {
        maxEvents: exactlyOnce.transactionMaxEvents,
        intervalMs: exactlyOnce.transactionIntervalMs,
        committedCheckpoint: () => this.committedCheckpoint(exactlyOnce),
        add: (batch) => this.addToTransaction(batch),
        commit: (checkpoint) => this.commitTransaction(exactlyOnce, checkpoint),
        abort: () => this.abortTransaction(),
      };
    }
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
    this.state = { ready: false, detail: `connecting to ${this.config.brokers.join(',')}` };
    // An unreachable broker is no start-up error: connect in the background; sends wait for it.
    const generation = this.newGeneration(this.config.maxMessageBytes);
    this.connected(generation).then(
      () => this.markHealthy(generation),
      (error: unknown) => {
        const failure = this.noteFailure(error, generation);
        this.context.logger.warn('Kafka is not reachable yet; sends will retry', { error: failure.message });
      },
    );
  }

  /** With --kafka-delivery exactly-once, a transaction of the batch's events alone. */
  async send(batch: Batch): Promise<void> {
    const { exactlyOnce } = this.config;
    if (exactlyOnce) {
      try {
        await this.addToTransaction(batch);
        await this.commitTransaction(exactlyOnce);
      } catch (error) {
        await this.abortTransaction();
        throw error;
      }
      return;
    }
    const attempt = { startedAt: Date.now() };
    this.pending.add(attempt);
    let generation = this.currentGeneration();
    try {
      await this.connected(generation);
      const deadLetters: AuditRecord[] = [];
      let records = batch.records;
      for (;;) {
        const tracker = new DeliveryTracker((error) => error.code === LIBRDKAFKA_ERRORS.MSG_SIZE_TOO_LARGE);
        generation.trackers.add(tracker);
        try {
          await this.produceAll(generation, tracker, records, deadLetters);
          await tracker.settled;
        } finally {
          generation.trackers.delete(tracker);
        }
        if (tracker.error) throw tracker.error;
        if (tracker.tooLarge.length === 0) break;
        generation = await this.afterTooLarge(generation, tracker.tooLarge.length);
        records = [...new Set(tracker.tooLarge)];
      }
      this.oversize.writeDeadLetters(deadLetters);
      this.markHealthy(generation);
    } catch (error) {
      throw this.noteFailure(error, generation);
    } finally {
      this.pending.delete(attempt);
    }
  }

  /**
   * The checkpoint committed with the last transaction of this transactional id, read back with a
   * read_committed consumer once the producer registered the id: from then on no earlier
   * incarnation can commit, so what is read is final. Retried until the brokers answer.
   */
  private async committedCheckpoint(exactlyOnce: KafkaExactlyOnceConfig): Promise<unknown> {
    for (let attempt = 0; ; attempt += 1) {
      const generation = this.currentGeneration();
      try {
        await this.connected(generation);
        const value = await this.readCheckpointRecord(exactlyOnce);
        this.markHealthy(generation);
        if (value === undefined) return undefined;
        const text = value.toString('utf8');
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return text; // The agent reports it as unusable.
        }
      } catch (error) {
        const failure = this.noteFailure(error, generation);
        if (failure instanceof SinkFencedError) throw failure;
        const delay = backoffDelay(attempt, CHECKPOINT_READ_RETRY_MIN_MS, CHECKPOINT_READ_RETRY_MAX_MS);
        this.context.logger.warn('reading the committed checkpoint from Kafka failed; retrying', {
          checkpointTopic: exactlyOnce.checkpointTopic,
          attempt: attempt + 1,
          retryInMs: delay,
          error: failure.message,
        });
        await sleep(delay);
      }
    }
  }

  private readCheckpointRecord(exactlyOnce: KafkaExactlyOnceConfig): Promise<Buffer | undefined> {
    const settings: LibrdkafkaConfig = connectionSettings(this.config);
    const { sasl } = this.config;
    if (sasl?.mechanism === 'oauthbearer') settings.oauthbearer_token_refresh_cb = () => readOauthbearerToken(sasl.tokenFile);
    const timeoutMs = this.config.connectionTimeoutMs + this.config.requestTimeoutMs;
    return readCommittedCheckpoint(settings, exactlyOnce.checkpointTopic, exactlyOnce.transactionalId, timeoutMs);
  }

  /**
   * Hands a batch's events (and their alerts) to the open transaction, beginning one if none is
   * open. A rejection means the open transaction is lost: the caller aborts it and begins again.
   */
  private async addToTransaction(batch: Batch): Promise<void> {
    await this.inTransaction(async (transaction) => {
      await this.produceRecords(transaction.generation, transaction.tracker, batch.records, transaction.deadLetters);
    });
  }

  /**
   * Commits the open transaction (an empty one if none is open) with the checkpoint record keyed
   * by the transactional id as its last record: all of it becomes visible to read_committed
   * consumers, or none of it. A failed commit is aborted here when it can be.
   */
  private async commitTransaction(exactlyOnce: KafkaExactlyOnceConfig, checkpoint?: CheckpointDocument): Promise<void> {
    await this.inTransaction(async (transaction) => {
      const { generation, tracker } = transaction;
      if (await this.uncertainCommitWasCommitted(exactlyOnce)) {
        // What this transaction holds again is already in the topic: its copies must not commit.
        await this.abortTransaction();
        return;
      }
      // Every event's delivery report first: a refusal (too large) shows before the commit, and
      // the reports, which hold their messages until JavaScript has them, never pile up.
      tracker.allProduced();
      await tracker.settled;
      if (tracker.error) throw tracker.error;
      const checkpointValue = checkpoint === undefined ? undefined : Buffer.from(JSON.stringify(checkpoint));
      if (checkpointValue !== undefined) {
        const record = { value: checkpointValue, key: exactlyOnce.transactionalId };
        if (!this.produceOne(generation, exactlyOnce.checkpointTopic, record)) await this.produceWhenRoom(generation, exactlyOnce.checkpointTopic, record);
      }
      if (tracker.tooLarge.length > 0) throw Object.assign(new Error('events larger than message.max.bytes'), { code: LIBRDKAFKA_ERRORS.MSG_SIZE_TOO_LARGE });
      // On disk before the commit passes them (a transaction sent again writes them again).
      this.oversize.writeDeadLetters(transaction.deadLetters);
      transaction.committing = true;
      this.uncertainCommit = checkpointValue;
      await transactionCall((done) => generation.producer.commitTransaction(this.config.requestTimeoutMs, done));
      this.uncertainCommit = undefined;
      this.closeTransaction();
      this.metrics.transactions.inc({ outcome: 'committed' });
    });
  }

  /** Aborts the open transaction, if one is open (none of it becomes visible). */
  private async abortTransaction(): Promise<void> {
    const transaction = this.openTransaction;
    if (!transaction) return;
    this.closeTransaction();
    const { generation } = transaction;
    if (generation.broken) return; // Replaced: the new producer's registration aborts it.
    try {
      await transactionCall((done) => generation.producer.abortTransaction(this.config.requestTimeoutMs, done));
      this.uncertainCommit = undefined;
      this.metrics.transactions.inc({ outcome: 'aborted' });
    } catch (error) {
      generation.broken ??= new Error(`aborting the transaction failed: ${rootMessage(error)}`, { cause: error });
      if (generation === this.generation) this.replaceGeneration(generation, generation.broken.message, generation.maxMessageBytes);
    }
  }

  /**
   * Runs one step of a transaction on the open transaction (begun now if none is open), counted
   * as a pending send for readiness. A failure ends the transaction: aborted when it was open or
   * its commit refused as abortable, the producer replaced when that is impossible.
   */
  private async inTransaction(step: (transaction: OpenTransaction) => Promise<void>): Promise<void> {
    const attempt = { startedAt: Date.now() };
    this.pending.add(attempt);
    let generation = this.currentGeneration();
    try {
      const transaction = await this.openOrBegin();
      generation = transaction.generation;
      await step(transaction);
      this.markHealthy(generation);
    } catch (error) {
      // A call can fail with librdkafka's generic "Fatal error" before the error event that says
      // why arrives: if it is a fencing, a new producer must not be made.
      if (classifyKafkaFailure(error) === 'producer-state') await Promise.race([generation.fatalErrorEvent, sleep(FATAL_EVENT_WAIT_MS)]);
      const failure = this.noteFailure(error, generation);
      if (!(failure instanceof SinkFencedError)) await this.afterFailedTransaction(generation, error);
      throw failure;
    } finally {
      this.pending.delete(attempt);
    }
  }

  private async openOrBegin(): Promise<OpenTransaction> {
    const open = this.openTransaction;
    if (open) {
      if (open.generation !== this.generation) throw new Error('the Kafka producer was replaced while a transaction was open');
      return open;
    }
    const generation = this.currentGeneration();
    await this.connected(generation);
    await transactionCall((done) => generation.producer.beginTransaction(done));
    const tracker = new DeliveryTracker((error) => error.code === LIBRDKAFKA_ERRORS.MSG_SIZE_TOO_LARGE);
    // Among the generation's trackers, a refused login or a fencing fails it at once.
    generation.trackers.add(tracker);
    this.openTransaction = { generation, tracker, deadLetters: [], committing: false };
    return this.openTransaction;
  }

  private closeTransaction(): void {
    const transaction = this.openTransaction;
    this.openTransaction = undefined;
    transaction?.generation.trackers.delete(transaction.tracker);
  }

  /**
   * Ends a failed transaction so the next one can begin: aborted when it was open or its commit
   * was refused as abortable. A commit that failed otherwise may or may not have happened: the
   * producer is replaced, whose registration settles it, and the next commit looks which it was.
   */
  private async afterFailedTransaction(generation: ProducerGeneration, error: unknown): Promise<void> {
    const transaction = this.openTransaction;
    if (!transaction || transaction.generation !== generation) return;
    const abortable = !transaction.committing || (error as { isTxnRequiresAbort?: boolean }).isTxnRequiresAbort === true;
    if (abortable) {
      await this.abortTransaction();
    } else {
      this.closeTransaction();
      generation.broken ??= new Error(`the transaction's commit failed: ${rootMessage(error)}`, { cause: error });
    }
    if (transaction.tracker.tooLarge.length > 0) {
      await this.afterTooLarge(generation, transaction.tracker.tooLarge.length);
    } else if (generation.broken && !(generation.broken instanceof SinkFencedError) && generation === this.generation) {
      this.replaceGeneration(generation, generation.broken.message, generation.maxMessageBytes);
    }
  }

  /** After a commit of unknown outcome: whether its checkpoint record is the one the topic holds (then it committed). */
  private async uncertainCommitWasCommitted(exactlyOnce: KafkaExactlyOnceConfig): Promise<boolean> {
    const expected = this.uncertainCommit;
    if (expected === undefined) return false;
    const committed = await this.readCheckpointRecord(exactlyOnce);
    this.uncertainCommit = undefined;
    const wasCommitted = committed !== undefined && committed.equals(expected);
    this.context.logger.warn(`a transaction whose commit failed to answer turned out ${wasCommitted ? 'committed' : 'aborted'}`, {
      checkpointTopic: exactlyOnce.checkpointTopic,
    });
    if (wasCommitted) this.metrics.transactions.inc({ outcome: 'committed' });
    return wasCommitted;
  }

  async close(): Promise<void> {
    const generation = this.generation;
    this.generation = undefined;
    this.state = { ready: false, detail: 'closed' };
    if (generation) await this.retire(generation);
    this.deadLetterFile.close();
  }

  /**
   * The outcome of the last send, unless a send has been waiting longer than the request timeout:
   * then the brokers are away or hanging, and librdkafka keeps retrying out of sight.
   */
  health(): SinkHealth {
    const now = Date.now();
    let oldest = now;
    for (const attempt of this.pending) oldest = Math.min(oldest, attempt.startedAt);
    if (now - oldest > this.config.requestTimeoutMs) {
      return { ready: false, detail: `a send has waited ${Math.round((now - oldest) / 1000)} s for the Kafka brokers to acknowledge it` };
    }
    return this.state;
  }

  /** Hands every record (and the alerts among them) to librdkafka; the tracker learns of each message. */
  private async produceAll(generation: ProducerGeneration, tracker: DeliveryTracker, records: readonly AuditRecord[], deadLetters: AuditRecord[]): Promise<void> {
    try {
      await this.produceRecords(generation, tracker, records, deadLetters);
    } catch (error) {
      tracker.fail(error as DeliveryError);
      return;
    }
    tracker.allProduced();
  }

  private async produceRecords(generation: ProducerGeneration, tracker: DeliveryTracker, records: readonly AuditRecord[], deadLetters: AuditRecord[]): Promise<void> {
    const limitBytes = recordBytesLimit(generation.maxMessageBytes);
    const { alertsTopic, topic } = this.config;
    for (const record of records) {
      const built = this.messages.build(record);
      const message = built.bytes <= limitBytes ? built : this.oversize.fit(record, built, limitBytes, deadLetters);
      // The message has the key and headers: the parsed event would only wait for the report in memory.
      record.releaseEvent?.();
      if (message === undefined) continue;
      const item: Outgoing = { record, tracker };
      if (!this.produceOne(generation, topic, message.message, item)) await this.produceWhenRoom(generation, topic, message.message, item);
      if (alertsTopic !== undefined && (record.detections?.length ?? 0) > 0) {
        if (!this.produceOne(generation, alertsTopic, message.message, item)) await this.produceWhenRoom(generation, alertsTopic, message.message, item);
      }
    }
  }

  /**
   * Hands one message to librdkafka; false when its queue is full and nothing was produced. Not
   * async: a promise per message was garbage on the hot path, and only a full queue waits.
   * `item`, when given, comes back with its delivery report to tell its batch.
   */
  private produceOne(generation: ProducerGeneration, topic: string, message: SizedMessage['message'], item?: Outgoing): boolean {
    if (generation.broken) throw generation.broken;
    try {
      generation.producer.produce(topic, null, message.value, message.key, null, item, message.headers);
      item?.tracker.produced();
      return true;
    } catch (error) {
      const code = (error as DeliveryError).code;
      if (code === LIBRDKAFKA_ERRORS.QUEUE_FULL) return false;
      if (code === LIBRDKAFKA_ERRORS.MSG_SIZE_TOO_LARGE && item) {
        // librdkafka's own count of the message is above message.max.bytes: as if the broker refused it.
        item.tracker.produced();
        item.tracker.report(item.record, error as DeliveryError);
        return true;
      }
      throw error;
    }
  }

  /** librdkafka holds as many messages as queue.buffering.max.* allow: each delivery report makes room for one. */
  private async produceWhenRoom(generation: ProducerGeneration, topic: string, message: SizedMessage['message'], item?: Outgoing): Promise<void> {
    do await new Promise<void>((resolve) => generation.roomWaiters.push(resolve));
    while (!this.produceOne(generation, topic, message, item));
  }

  /**
   * The broker refused batches as too large although they were within message.max.bytes: the
   * topic's max.message.bytes is lower. A producer with half the limit takes over (librdkafka's
   * limit is fixed per producer), so the refused events go out in smaller batches, or alone
   * through the oversize policy.
   */
  private async afterTooLarge(refusing: ProducerGeneration, refused: number): Promise<ProducerGeneration> {
    const lowered = Math.max(MIN_MESSAGE_MAX_BYTES, Math.floor(refusing.maxMessageBytes / 2));
    if (refusing === this.generation) {
      this.context.logger.error(
        'Kafka rejected a batch as too large although it is within --kafka-max-message-bytes: set that option to the topic max.message.bytes',
        { refusedMessages: refused, maxMessageBytes: refusing.maxMessageBytes, loweredTo: lowered },
      );
      this.replaceGeneration(refusing, 'a batch was refused as too large', lowered);
    }
    const generation = this.currentGeneration();
    await this.connected(generation);
    return generation;
  }

  private currentGeneration(): ProducerGeneration {
    if (this.generation === undefined) throw new Error('kafka sink is not started or already closed');
    return this.generation;
  }

  /** Waits for the generation's connection; one that cannot connect is replaced, so the retried send starts afresh. */
  private async connected(generation: ProducerGeneration): Promise<void> {
    if (generation.broken) throw generation.broken;
    try {
      await generation.connect(this.config.topic, this.config.connectionTimeoutMs + this.config.requestTimeoutMs, this.config.exactlyOnce !== undefined);
    } catch (error) {
      if (generation === this.generation) this.replaceGeneration(generation, `connecting failed: ${rootMessage(error)}`, generation.maxMessageBytes);
      throw error;
    }
  }

  private newGeneration(maxMessageBytes: number): ProducerGeneration {
    const settings = librdkafkaConfig(this.config, maxMessageBytes);
    const { sasl } = this.config;
    if (sasl?.mechanism === 'oauthbearer') {
      // librdkafka asks again before the token expires; the file holds the current one.
      settings.oauthbearer_token_refresh_cb = () => readOauthbearerToken(sasl.tokenFile);
    }
    const producer = new RdKafka.Producer(settings);
    this.generations += 1;
    const generation = new ProducerGeneration(this.generations, producer, maxMessageBytes);
    producer.on('delivery-report', (error, report) => {
      // The checkpoint record has no item: its fate is the transaction's.
      const item = report.opaque as Outgoing | undefined;
      if (item) {
        if (!error) this.metrics.deliveredMessages.inc();
        item.tracker.report(item.record, error as unknown as DeliveryError | null);
      }
      generation.madeRoom();
    });
    producer.on('event.log', (log: { severity: number; message: string }) => generation.noteLog(log));
    producer.on('event.error', (error) => this.onClientError(generation, error));
    // Reports are polled on librdkafka's side and handed to the event loop as they come.
    producer.once('ready', () => producer.setPollInBackground(true));
    this.generation = generation;
    return generation;
  }

  /**
   * An error librdkafka reports outside any message (a broker going away, a refused login). A
   * broker away is only shown in readiness: librdkafka reconnects and the messages wait for it.
   * A refused login or certificate fails every waiting batch now, with what to fix.
   */
  private onClientError(generation: ProducerGeneration, error: { message: string; code?: number; isFatal?: boolean }): void {
    if (generation !== this.generation) return;
    if (error.isFatal) generation.noteFatal();
    const reason = generation.lastFailureLog;
    const kind = classifyKafkaFailure(reason === undefined ? error : Object.assign(new Error(error.message, { cause: new Error(reason) }), { code: error.code, isFatal: error.isFatal }));
    if (PERMANENT_KINDS.has(kind) || kind === 'producer-state' || kind === 'fenced') {
      const failure = this.describeFailure(kind, reason ?? rootMessage(error), error);
      generation.broken = failure;
      generation.abortConnect(failure);
      for (const tracker of generation.trackers) tracker.fail(failure);
      for (const resolve of generation.roomWaiters.splice(0)) resolve();
      this.state = { ready: false, detail: failure.message };
      return;
    }
    this.state = { ready: false, detail: `Kafka client: ${rootMessage(error)}` };
    this.context.logger.debug('Kafka client error', { error: rootMessage(error) });
  }

  private markHealthy(generation: ProducerGeneration): void {
    if (generation !== this.generation) return;
    this.state = { ready: true, detail: `connected to ${this.config.brokers.join(',')}` };
  }

  /** Updates health, replaces a broken producer, and returns the error to reject with. */
  private noteFailure(error: unknown, generation: ProducerGeneration): Error {
    const kind = classifyKafkaFailure(error);
    this.metrics.sendFailures.inc({ kind });
    let failure = error instanceof PermanentSinkError ? error : this.describeFailure(kind, rootMessage(error), error);
    // Fenced is final: a new producer would fence the agent that took over, which would fence it
    // back. Whatever a fenced producer's calls fail with later ("Local: Fatal error"), it is that.
    if (failure instanceof SinkFencedError) generation.broken = failure;
    if (generation.broken instanceof SinkFencedError) failure = generation.broken;
    if (generation === this.generation) {
      this.state = { ready: false, detail: failure.message };
      if (generation.broken && !(generation.broken instanceof SinkFencedError)) {
        this.replaceGeneration(generation, failure.message, generation.maxMessageBytes);
      }
    }
    return failure;
  }

  private describeFailure(kind: KafkaFailureKind, cause: string, error: unknown): Error {
    const { sasl, topic } = this.config;
    switch (kind) {
      case 'authentication': {
        const who =
          sasl === undefined
            ? 'with no SASL mechanism set'
            : sasl.mechanism === 'oauthbearer'
              ? `with the token in ${sasl.tokenFile} (oauthbearer)`
              : `for user "${sasl.username}" (${sasl.mechanism})`;
        const fix =
          sasl?.mechanism === 'oauthbearer'
            ? 'Check --kafka-sasl-oauthbearer-token-file'
            : 'Check --kafka-sasl-username and --kafka-sasl-password(-file)';
        return new PermanentSinkError(`Kafka SASL authentication failed ${who}: ${cause}. ${fix}`, { cause: error });
      }
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
      case 'fenced':
        return new SinkFencedError(
          `another producer registered the transactional id "${this.config.exactlyOnce?.transactionalId}" (a second agent with the same --kafka-transactional-id or NODE_NAME): ` +
            `this agent stops producing so that nothing is written twice. ${cause}`,
          { cause: error },
        );
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

  private replaceGeneration(old: ProducerGeneration, reason: string, maxMessageBytes: number): void {
    this.metrics.producerRecreations.inc();
    const replacement = this.newGeneration(maxMessageBytes);
    this.context.logger.warn('replacing the Kafka producer', { reason, previousGeneration: old.number, generation: replacement.number, maxMessageBytes });
    this.retire(old).catch((error: unknown) =>
      this.context.logger.debug('closing the replaced Kafka producer failed', { error: rootMessage(error) }),
    );
  }

  /**
   * Lets the producer deliver what it holds (briefly), then closes it. Sends still producing into
   * it fail at their next message, and those still waiting for reports once it is closed fail
   * too (a closed producer reports nothing more): the agent sends their batches again.
   */
  private async retire(generation: ProducerGeneration): Promise<void> {
    const replaced = new Error('the Kafka producer was replaced while the batch was in flight');
    generation.broken ??= replaced;
    for (const resolve of generation.roomWaiters.splice(0)) resolve();
    const { producer } = generation;
    if (producer.isConnected()) {
      await new Promise<void>((resolve) => producer.flush(CLOSE_FLUSH_MS, () => resolve()));
      await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
    }
    for (const tracker of generation.trackers) tracker.fail(replaced);
  }
}

/** Runs one of librdkafka's transaction calls, which answer through a callback. */
function transactionCall(start: (done: (error: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => start((error) => (error ? reject(error) : resolve())));
}
