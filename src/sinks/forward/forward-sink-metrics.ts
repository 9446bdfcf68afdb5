import { Counter, Gauge, type Registry } from 'prom-client';

const PREFIX = 'kube_audit_forwarder_forward_';

/** The forward sink's own metrics, registered beside the agent's. */
export class ForwardSinkMetrics {
  readonly messages: Counter<'server' | 'outcome'>;
  readonly connectionsOpened: Counter<'server'>;
  readonly serverUp: Gauge<'server'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.messages = new Counter({
      name: `${PREFIX}messages_total`,
      help: 'Forward messages by server and outcome: acked, failed (no or wrong ack, reset, close; the batch is sent again)',
      labelNames: ['server', 'outcome'],
      registers,
    });
    this.connectionsOpened = new Counter({
      name: `${PREFIX}connections_opened_total`,
      help: 'Connections opened (and authenticated, with a shared key) per server; kept-alive connections are reused',
      labelNames: ['server'],
      registers,
    });
    this.serverUp = new Gauge({
      name: `${PREFIX}server_up`,
      help: '1 while the server takes messages, 0 after a failure until a health probe reaches it again',
      labelNames: ['server'],
      registers,
    });
  }
}
