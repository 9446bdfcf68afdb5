import { describeKafkaSuite } from './kafka-suite.js';

// Kafka 4 removed the protocol versions older clients used (KIP-896): librdkafka, and the kafkajs test reader, must still work.
describeKafkaSuite({ version: '4.4.0', name: 'kafka-it-4.4.0', port: 29092 });
