import { Counter, type Registry } from 'prom-client';
import { startAtZero } from '../../observability/metrics.js';
import { KAFKA_FAILURE_KINDS } from './kafka-failure.js';

const PREFIX = 'kube_audit_forwarder_kafka_';

/** The Kafka sink's own metrics, registered beside the agent's. */
export class KafkaSinkMetrics {
  readonly produceRequests: Counter;
  readonly sendFailures: Counter<'kind'>;
  readonly producerRecreations: Counter;
  readonly oversizeEvents: Counter<'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.produceRequests = new Counter({
      name: `${PREFIX}produce_requests_total`,
      help: 'Produce requests the brokers acknowledged (a batch is split into several when it is larger than --kafka-max-message-bytes)',
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
      help: 'Times the producer was thrown away and rebuilt after repeated failures or a broken idempotence state',
      registers,
    });
    this.oversizeEvents = new Counter({
      name: `${PREFIX}oversize_events_total`,
      help: 'Events larger than a produce request may be, by outcome: truncated, dead_lettered',
      labelNames: ['outcome'],
      registers,
    });
    startAtZero(this.sendFailures, KAFKA_FAILURE_KINDS.map((kind) => ({ kind })));
    startAtZero(this.oversizeEvents, [{ outcome: 'truncated' }, { outcome: 'dead_lettered' }]);
  }
}
