import { describeKafkaSuite } from './kafka-suite.js';

// Kafka 3.9 is the last line with ZooKeeper and the old protocol versions; run here in KRaft mode.
describeKafkaSuite({ version: '3.9.2', name: 'kafka-it-3.9.2', port: 19092 });
