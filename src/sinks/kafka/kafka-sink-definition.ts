import type { SinkDefinition } from '../sink-definition.js';
import { kafkaOptionGroup } from './kafka-options.js';
import type { KafkaSinkConfig } from './kafka-sink-config.js';

export const kafkaSinkDefinition: SinkDefinition<KafkaSinkConfig> = {
  name: 'kafka',
  description: 'Apache Kafka topic through librdkafka (acks=all, idempotent, TLS, SASL PLAIN/SCRAM/OAUTHBEARER)',
  optionGroup: kafkaOptionGroup,
  directories: (config) => [['kafka-dead-letter-dir', config.deadLetterDir]],
  create: async (config, context) => new (await import('./kafka-sink.js')).KafkaSink(config, context),
};
