import { Counter, Gauge, type Registry } from 'prom-client';
import { startAtZero } from '../observability/metrics.js';

export const DROP_REASONS = ['queue_full', 'rejected', 'expired', 'shutdown', 'too_many_alerts'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Counters of alert delivery, on the agent's registry beside the shipping metrics. */
export class AlertMetrics {
  readonly sent: Counter<'receiver'>;
  readonly failedPosts: Counter<'receiver'>;
  readonly dropped: Counter<'reason'>;
  readonly suppressed: Counter<'rule'>;
  readonly queued: Gauge<'receiver' | 'url'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.sent = new Counter({ name: 'kube_audit_forwarder_alerts_sent_total', help: 'Alerts (Alertmanager) or messages (webhook) the receiver accepted', labelNames: ['receiver'], registers });
    this.failedPosts = new Counter({ name: 'kube_audit_forwarder_alert_posts_failed_total', help: 'POSTs to an alert receiver that failed and were retried or dropped', labelNames: ['receiver'], registers });
    this.dropped = new Counter({ name: 'kube_audit_forwarder_alerts_dropped_total', help: 'Alerts or messages given up, by reason', labelNames: ['reason'], registers });
    this.suppressed = new Counter({ name: 'kube_audit_forwarder_alerts_suppressed_total', help: 'Detection matches the webhook rate limit folded into a later message, by rule', labelNames: ['rule'], registers });
    this.queued = new Gauge({ name: 'kube_audit_forwarder_alerts_queued', help: 'Alerts or messages waiting for their receiver', labelNames: ['receiver', 'url'], registers });
    startAtZero(this.dropped, DROP_REASONS.map((reason) => ({ reason })));
  }
}
