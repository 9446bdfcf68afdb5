import { Counter, type Registry } from 'prom-client';
import { startAtZero } from '../../observability/metrics.js';
import { KAFKA_FAILURE_KINDS } from './kafka-failure.js';

const PREFIX = 'kube_audit_forwarder_kafka_';

/** The Kafka sink's own metrics, registered beside the agent's. */
export class KafkaSinkMetrics {
  readonly deliveredMessages: Counter;
  readonly sendFailures: Counter<'kind'>;
  readonly producerRecreations: Counter;
  readonly oversizeEvents: Counter<'outcome'>;
  readonly transactions: Counter<'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.deliveredMessages = new Counter({
      name: `${PREFIX}messages_delivered_total`,
      help: 'Messages whose delivery report came back without error (alerts topic included)',
      registers,
    });
    this.sendFailures = new Counter({
      name: `${PREFIX}send_failures_total`,
      help: `Failed batch sends by kind: ${KAFKA_FAILURE_KINDS.join(', ')}`,
      labelNames: ['kind'],
      registers,
    });
    this.producerRecreations = new Counter({
      name: `${PREFIX}producer_recreations_total`,
      help: 'Times the producer was replaced: after a fatal librdkafka error, a failed connect, or a batch refused as too large (smaller message.max.bytes)',
      registers,
    });
    this.oversizeEvents = new Counter({
      name: `${PREFIX}oversize_events_total`,
      help: 'Events larger than a record batch may be, by outcome: truncated, dead_lettered',
      labelNames: ['outcome'],
      registers,
    });
    this.transactions = new Counter({
      name: `${PREFIX}transactions_total`,
      help: 'Transactions of --kafka-delivery exactly-once by outcome: committed (events and checkpoint visible), aborted (none of it visible; sent again)',
      labelNames: ['outcome'],
      registers,
    });
    startAtZero(this.sendFailures, KAFKA_FAILURE_KINDS.map((kind) => ({ kind })));
    startAtZero(this.oversizeEvents, [{ outcome: 'truncated' }, { outcome: 'dead_lettered' }]);
    startAtZero(this.transactions, [{ outcome: 'committed' }, { outcome: 'aborted' }]);
  }
}
