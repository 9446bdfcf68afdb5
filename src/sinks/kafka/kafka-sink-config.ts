/** Which event field becomes the Kafka message key (the partitioner hashes it like the Java client). */
export const MESSAGE_KEY_CHOICES = ['auditID', 'namespace', 'user', 'none'] as const;
export type MessageKeyChoice = (typeof MESSAGE_KEY_CHOICES)[number];

/** Event fields that can be copied into Kafka headers so consumers route without parsing JSON. */
export const HEADER_CHOICES = ['stage', 'verb', 'resource', 'namespace', 'level'] as const;
export type HeaderChoice = (typeof HEADER_CHOICES)[number];

/** Codecs librdkafka compresses record batches with (its `compression.codec`). */
export const COMPRESSION_CHOICES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionChoice = (typeof COMPRESSION_CHOICES)[number];

/** acks=0 is not offered: without an acknowledgement nothing proves the broker has the batch. */
export const ACKS_CHOICES = ['all', '1'] as const;
export type AcksChoice = (typeof ACKS_CHOICES)[number];

/** at-least-once: duplicates after a crash; exactly-once: transactions that carry the checkpoint too. */
export const DELIVERY_CHOICES = ['at-least-once', 'exactly-once'] as const;
export type DeliveryChoice = (typeof DELIVERY_CHOICES)[number];

export const SASL_MECHANISM_CHOICES = ['none', 'plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'] as const;
export type SaslMechanismChoice = (typeof SASL_MECHANISM_CHOICES)[number];

/** What to do with one event larger than a produce request may be. */
export const KAFKA_OVERSIZE_POLICIES = ['truncate', 'dead-letter'] as const;
export type KafkaOversizePolicy = (typeof KAFKA_OVERSIZE_POLICIES)[number];

export interface KafkaTlsConfig {
  /** PEM text, read at start-up so a wrong path fails before any event is read. */
  ca?: string;
  cert?: string;
  key?: string;
  insecureSkipVerify: boolean;
}

/** SASL with a user name and password (PLAIN, SCRAM). */
export interface KafkaPasswordSaslConfig {
  mechanism: Exclude<SaslMechanismChoice, 'none' | 'oauthbearer'>;
  username: string;
  password: string;
}

/** SASL OAUTHBEARER with a token some other process (e.g. a sidecar or a projected volume) keeps fresh in a file. */
export interface KafkaOauthSaslConfig {
  mechanism: 'oauthbearer';
  tokenFile: string;
}

export type KafkaSaslConfig = KafkaPasswordSaslConfig | KafkaOauthSaslConfig;

/** The transactional producer of `--kafka-delivery exactly-once`. */
export interface KafkaExactlyOnceConfig {
  /** librdkafka's transactional.id: one per node, stable across restarts, so a restart fences its previous incarnation. */
  transactionalId: string;
  /** Compacted topic holding, per transactional id, the checkpoint committed with the events. */
  checkpointTopic: string;
  /** A transaction is committed once it holds this many events... */
  transactionMaxEvents: number;
  /** ...or its oldest batch waited this long. */
  transactionIntervalMs: number;
}

export interface KafkaSinkConfig {
  brokers: string[];
  topic: string;
  /** Events that matched a detection rule are also written here (`--alerts-kafka-topic`). */
  alertsTopic?: string;
  clientId: string;
  acks: AcksChoice;
  idempotent: boolean;
  compression: CompressionChoice;
  key: MessageKeyChoice;
  headers: HeaderChoice[];
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
  /** librdkafka's message.max.bytes: no record batch it builds is larger (keep it at or below the topic's max.message.bytes). */
  maxMessageBytes: number;
  /** librdkafka settings given with --kafka-option, applied over the sink's own. */
  librdkafkaOptions: Record<string, string>;
  tls?: KafkaTlsConfig;
  sasl?: KafkaSaslConfig;
  oversizePolicy: KafkaOversizePolicy;
  /** Set with --kafka-delivery exactly-once. */
  exactlyOnce?: KafkaExactlyOnceConfig;
  /** Where events Kafka cannot take go (`dead-letter.jsonl` inside): the dead-letter policy, or truncation that was not enough. */
  deadLetterDir: string;
}
