import type { SinkDefinition } from '../sink-definition.js';
import { kafkaOptionGroup } from './kafka-options.js';
import type { KafkaSinkConfig } from './kafka-sink-config.js';

export const kafkaSinkDefinition: SinkDefinition<KafkaSinkConfig> = {
  name: 'kafka',
  description: 'Apache Kafka topic through librdkafka (acks=all, idempotent, TLS, SASL PLAIN/SCRAM/OAUTHBEARER)',
  optionGroup: kafkaOptionGroup,
  // librdkafka copies each message (with its headers) until its delivery report, and the reader
  // runs as far ahead as the batches in flight allow: fewer than the agent's 8 keep the peak
  // memory of a catch-up down, and 4 MiB in flight already keep the acks=all pipeline full.
  maxInflightBatches: 4,
  directories: (config) => [['kafka-dead-letter-dir', config.deadLetterDir]],
  create: async (config, context) => new (await import('./kafka-sink.js')).KafkaSink(config, context),
};
