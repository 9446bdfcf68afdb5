import { labelsOf, rememberAuditId, remediationOf, summaryOf, type AlertOrigin } from './alert-content.js';
import type { AlertSink } from './alert-queue.js';
import type { Detection } from './detection.js';
import type { DropLog } from './drop-log.js';

/** An alert as Alertmanager's API v2 takes it (`POST /api/v2/alerts`, a JSON array of these). */
export interface AlertmanagerAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
}

export interface AlertmanagerNotifierOptions {
  /** One queue per Alertmanager URL: an HA pair gets every alert, as Prometheus sends them. */
  readonly queues: ReadonlyArray<AlertSink<AlertmanagerAlert>>;
  readonly origin: AlertOrigin;
  /** Every firing alert is sent again this often (with its latest matches). */
  readonly resendIntervalMs: number;
  /** An alert with no match for this long is resolved. */
  readonly resolveAfterMs: number;
  /** Alerts tracked at most; matches for further rule/subject pairs are dropped (`too_many_alerts`). */
  readonly maxActive: number;
  readonly drops: DropLog;
}

/** One firing alert: a rule and subject, with what its matches so far add up to. */
interface FiringAlert {
  latest: Detection;
  labels: Record<string, string>;
  startsAt: number;
  lastMatchAt: number;
  sentAt: number;
  matches: number;
  auditIDs: string[];
  /** Matches came since the last send. */
  changed: boolean;
}

/**
 * Turns detections into Alertmanager alerts, one per rule and subject. A new alert is sent at
 * once; while matches keep coming it is sent again every resend interval, its `endsAt` each time
 * pushed to the last match plus the quiet period, so Alertmanager keeps it firing, groups and
 * dedupes it, and resolves it by itself should the agent go away. After the quiet period without
 * a match it is sent once more, resolved, and forgotten.
 */
export class AlertmanagerNotifier {
  private readonly firing = new Map<string, FiringAlert>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: AlertmanagerNotifierOptions) {}

  start(): void {
    this.timer = setInterval(() => this.tick(Date.now()), Math.min(1000, this.options.resendIntervalMs));
    this.timer.unref();
  }

  record(detection: Detection, now = Date.now()): void {
    let alert = this.firing.get(detection.key);
    if (alert === undefined) {
      if (this.firing.size >= this.options.maxActive) {
        this.options.drops.drop('too_many_alerts', 1, `alertmanager: ${this.options.maxActive} alerts already firing`);
        return;
      }
      alert = { latest: detection, labels: labelsOf(detection, this.options.origin), startsAt: detection.eventTime ?? now, lastMatchAt: now, sentAt: 0, matches: 0, auditIDs: [], changed: false };
      this.firing.set(detection.key, alert);
    }
    alert.latest = detection;
    alert.lastMatchAt = now;
    alert.matches++;
    if (detection.eventTime !== undefined && detection.eventTime < alert.startsAt) alert.startsAt = detection.eventTime;
    rememberAuditId(alert.auditIDs, detection.auditID);
    alert.changed = true;
    if (alert.sentAt === 0) this.send(alert, now);
  }

  /** Re-sends what is due and resolves what went quiet. */
  tick(now: number): void {
    for (const [key, alert] of this.firing) {
      if (now - alert.lastMatchAt >= this.options.resolveAfterMs) {
        this.send(alert, now);
        this.firing.delete(key);
      } else if (now - alert.sentAt >= this.options.resendIntervalMs) {
        this.send(alert, now);
      }
    }
  }

  /** Stops the timer and sends the alerts that changed since their last send, so a stop loses no match count. */
  stop(now = Date.now()): void {
    clearInterval(this.timer);
    for (const alert of this.firing.values()) if (alert.changed) this.send(alert, now);
  }

  private send(alert: FiringAlert, now: number): void {
    alert.sentAt = now;
    alert.changed = false;
    const message: AlertmanagerAlert = {
      labels: alert.labels,
      annotations: {
        summary: summaryOf(alert.latest),
        description: alert.latest.request,
        auditIDs: alert.auditIDs.join(','),
        matches: String(alert.matches),
        remediation: remediationOf(alert.latest),
        ...(alert.latest.rule.mitre?.length ? { mitre: alert.latest.rule.mitre.join(',') } : {}),
      },
      startsAt: new Date(alert.startsAt).toISOString(),
      // Firing: ends at the last match plus the quiet period unless a later send moves it;
      // resolved (that moment has passed): the same timestamp, now in the past.
      endsAt: new Date(Math.max(alert.lastMatchAt + this.options.resolveAfterMs, alert.startsAt)).toISOString(),
    };
    for (const queue of this.options.queues) queue.add(message);
  }
}

/** The key that coalesces queued states of one alert: its labels. */
export function alertKeyOf(alert: AlertmanagerAlert): string {
  return JSON.stringify(alert.labels);
}
