import type { AlertMetrics } from './alert-metrics.js';
import { labelsOf, rememberAuditId, remediationOf, summaryOf, type AlertOrigin } from './alert-content.js';
import type { AlertSink } from './alert-queue.js';
import type { Detection } from './detection.js';
import type { DropLog } from './drop-log.js';

/** The JSON body of a webhook message (`--alert-webhook-format json`). */
export interface WebhookMessage {
  readonly rule: string;
  readonly severity: string;
  readonly summary: string;
  /** The latest matching request in one line. */
  readonly description: string;
  readonly remediation: string;
  /** MITRE ATT&CK technique ids of the rule (empty when it names none). */
  readonly mitre: readonly string[];
  readonly labels: Record<string, string>;
  /** The matches this message stands for: 1, or the suppressed ones a summary message reports. */
  readonly matches: number;
  /** Matches of this rule and subject the rate limit held back since the previous message. */
  readonly suppressed: number;
  readonly auditIDs: string[];
  /** When the latest match happened (event time, else when the agent saw it). */
  readonly eventTime: string;
  /** The same content as one line of text, what Slack-compatible receivers display. */
  readonly text: string;
}

export type WebhookFormat = 'json' | 'slack';

export interface WebhookNotifierOptions {
  readonly queues: ReadonlyArray<AlertSink<WebhookMessage>>;
  readonly origin: AlertOrigin;
  /** Messages per rule and subject at most in any one interval… */
  readonly burst: number;
  /** …of this length; matches beyond are counted and reported in one message when it ends. */
  readonly intervalMs: number;
  readonly maxActive: number;
  readonly metrics: AlertMetrics;
  readonly drops: DropLog;
}

/** The rate limit's state for one rule and subject. */
interface Window {
  startedAt: number;
  sent: number;
  suppressed: number;
  latest: Detection;
  latestAt: number;
  auditIDs: string[];
}

/**
 * Sends detections to webhooks, rate-limited per rule and subject: in each interval the first
 * `burst` matches are sent as they come; the rest are only counted, and when the interval ends
 * one message reports how many were held back (with their latest auditIDs) and opens the next
 * interval. A burst of 10 000 matches thus becomes a few messages, and no match goes unreported.
 */
export class WebhookNotifier {
  private readonly windows = new Map<string, Window>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: WebhookNotifierOptions) {}

  start(): void {
    this.timer = setInterval(() => this.tick(Date.now()), Math.min(1000, this.options.intervalMs));
    this.timer.unref();
  }

  record(detection: Detection, now = Date.now()): void {
    let window = this.windows.get(detection.key);
    if (window !== undefined && now - window.startedAt >= this.options.intervalMs) {
      this.closeWindow(detection.key, window, now);
      window = this.windows.get(detection.key);
    }
    if (window === undefined) {
      if (this.windows.size >= this.options.maxActive) {
        this.options.drops.drop('too_many_alerts', 1, `webhook: ${this.options.maxActive} rule/subject pairs already rate-limited`);
        return;
      }
      window = { startedAt: now, sent: 0, suppressed: 0, latest: detection, latestAt: now, auditIDs: [] };
      this.windows.set(detection.key, window);
    }
    window.latest = detection;
    window.latestAt = now;
    if (window.sent < this.options.burst) {
      window.sent++;
      this.send(detection, now, 1, 0, detection.auditID === undefined ? [] : [detection.auditID]);
      return;
    }
    window.suppressed++;
    this.options.metrics.suppressed.inc({ rule: detection.rule.id });
    rememberAuditId(window.auditIDs, detection.auditID);
  }

  /** Ends the intervals that are over: reports what they held back, forgets the quiet ones. */
  tick(now: number): void {
    for (const [key, window] of this.windows) {
      if (now - window.startedAt >= this.options.intervalMs) this.closeWindow(key, window, now);
    }
  }

  /** Stops the timer and reports the matches held back so far, so a stop loses no count. */
  stop(now = Date.now()): void {
    clearInterval(this.timer);
    for (const [key, window] of this.windows) this.closeWindow(key, window, now);
  }

  /** A window that held matches back reports them and opens the next one (that message counts in it). */
  private closeWindow(key: string, window: Window, now: number): void {
    this.windows.delete(key);
    if (window.suppressed === 0) return;
    this.send(window.latest, window.latestAt, window.suppressed, window.suppressed, window.auditIDs);
    this.windows.set(key, { startedAt: now, sent: 1, suppressed: 0, latest: window.latest, latestAt: window.latestAt, auditIDs: [] });
  }

  private send(detection: Detection, seenAt: number, matches: number, suppressed: number, auditIDs: string[]): void {
    const summary = summaryOf(detection);
    const remediation = remediationOf(detection);
    const node = this.options.origin.node;
    const held = suppressed > 0 ? ` — ${suppressed} more match${suppressed === 1 ? '' : 'es'} held back by the rate limit` : '';
    const message: WebhookMessage = {
      rule: detection.rule.id,
      severity: detection.rule.severity,
      summary,
      description: detection.request,
      remediation,
      mitre: detection.rule.mitre ?? [],
      labels: labelsOf(detection, this.options.origin),
      matches,
      suppressed,
      auditIDs,
      eventTime: new Date(detection.eventTime ?? seenAt).toISOString(),
      text: `[${detection.rule.severity}] ${detection.rule.id}${node ? ` on ${node}` : ''}: ${summary}${held}. Latest: ${detection.request}. Remediation: ${remediation}`,
    };
    for (const queue of this.options.queues) queue.add(message);
  }
}

/** The request body for one message in the configured format. */
export function webhookBody(format: WebhookFormat, message: WebhookMessage): unknown {
  return format === 'slack' ? { text: message.text } : message;
}
