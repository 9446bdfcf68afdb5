import type { Registry } from 'prom-client';
import type { Logger } from 'winston';
import type { AuditEvent } from '../audit/audit-event.js';
import { startAtZero } from '../observability/metrics.js';
import { AlertMetrics } from './alert-metrics.js';
import { severityAlerts, type AlertConfig } from './alert-options.js';
import { AlertQueue, type RetryPolicy } from './alert-queue.js';
import { alertKeyOf, AlertmanagerNotifier, type AlertmanagerAlert } from './alertmanager-notifier.js';
import { detectionOf } from './detection.js';
import type { AlertingRule, DetectionListener } from './detection-listener.js';
import { DropLog } from './drop-log.js';
import { HttpEndpoint } from './http-endpoint.js';
import { webhookBody, WebhookNotifier, type WebhookMessage } from './webhook-notifier.js';

/** Alerts per POST to Alertmanager (an array); a burst of new alerts goes out in a few requests. */
const ALERTMANAGER_BATCH = 64;

/** How long a stopping agent gives receivers that answer to take what is queued. */
const STOP_TIMEOUT_MS = 2_000;

/**
 * Alert delivery for detections, to Alertmanager and/or webhooks, apart from shipping: the
 * detections processor tells `listener` of each match, which only updates in-memory state and
 * queues; queues POST on their own. Absent (`undefined`) when no receiver is configured.
 */
export class Alerting implements DetectionListener {
  private readonly alertmanager?: AlertmanagerNotifier;
  private readonly webhook?: WebhookNotifier;
  private readonly queues: Array<AlertQueue<AlertmanagerAlert> | AlertQueue<WebhookMessage>> = [];
  private readonly drops: DropLog;

  /** `rules`: the detection rules that will run, so their per-rule series are served from the start. */
  static create(config: AlertConfig, context: { logger: Logger; registry: Registry; rules: readonly AlertingRule[] }): Alerting | undefined {
    if (config.alertmanagers.length === 0 && config.webhooks.length === 0) return undefined;
    return new Alerting(config, context);
  }

  private constructor(
    private readonly config: AlertConfig,
    { logger, registry, rules }: { logger: Logger; registry: Registry; rules: readonly AlertingRule[] },
  ) {
    const metrics = new AlertMetrics(registry);
    this.drops = new DropLog(metrics, logger);
    const retry: RetryPolicy = { minMs: config.retryMinMs, maxMs: config.retryMaxMs, giveUpAfterMs: config.giveUpAfterMs };
    const common = { capacity: config.queueSize, retry, metrics, drops: this.drops, logger };
    const origin = { node: config.node, extraLabels: config.extraLabels };
    if (config.alertmanagers.length > 0) {
      const queues = config.alertmanagers.map(
        (endpoint) =>
          new AlertQueue<AlertmanagerAlert>({ ...common, receiver: 'alertmanager', endpoint: new HttpEndpoint(endpoint), maxBatch: ALERTMANAGER_BATCH, bodyOf: (alerts) => alerts, keyOf: alertKeyOf }),
      );
      this.queues.push(...queues);
      this.alertmanager = new AlertmanagerNotifier({ queues, origin, resendIntervalMs: config.resendIntervalMs, resolveAfterMs: config.resolveAfterMs, maxActive: config.maxActive, drops: this.drops });
    }
    if (config.webhooks.length > 0) {
      const queues = config.webhooks.map(
        (endpoint) =>
          new AlertQueue<WebhookMessage>({ ...common, receiver: 'webhook', endpoint: new HttpEndpoint(endpoint), maxBatch: 1, bodyOf: ([message]) => webhookBody(config.webhookFormat, message!) }),
      );
      this.queues.push(...queues);
      const rateLimited = rules.filter((rule) => severityAlerts(rule.severity, config.minSeverity));
      startAtZero(metrics.suppressed, rateLimited.map((rule) => ({ rule: rule.id })));
      this.webhook = new WebhookNotifier({ queues, origin, burst: config.webhookBurst, intervalMs: config.webhookIntervalMs, maxActive: config.maxActive, metrics, drops: this.drops });
    }
    logger.info('alerting', {
      alertmanagers: config.alertmanagers.map((endpoint) => endpoint.displayUrl),
      webhooks: config.webhooks.map((endpoint) => endpoint.displayUrl),
      subject: config.subject,
      minSeverity: config.minSeverity,
    });
  }

  start(): void {
    this.alertmanager?.start();
    this.webhook?.start();
  }

  onMatch(rule: AlertingRule, event: AuditEvent): void {
    if (!severityAlerts(rule.severity, this.config.minSeverity)) return;
    const detection = detectionOf(rule, event, this.config.subject);
    this.alertmanager?.record(detection);
    this.webhook?.record(detection);
  }

  /** Stops the timers, gives answering receivers a moment for what is queued, drops the rest (counted). */
  async stop(): Promise<void> {
    this.alertmanager?.stop();
    this.webhook?.stop();
    await Promise.all(this.queues.map((queue) => queue.stop(STOP_TIMEOUT_MS)));
    this.drops.flush();
  }
}
