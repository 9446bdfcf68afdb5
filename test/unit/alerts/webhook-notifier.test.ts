import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import winston from 'winston';
import { AlertMetrics } from '../../../src/alerts/alert-metrics.js';
import { detectionOf } from '../../../src/alerts/detection.js';
import { DropLog } from '../../../src/alerts/drop-log.js';
import { webhookBody, WebhookNotifier, type WebhookMessage } from '../../../src/alerts/webhook-notifier.js';
import { sampleEvent } from '../../helpers/forward/audit-records.js';

const RULE = { id: 'secret-read', description: 'Secrets were read', severity: 'medium' };

function setup(burst: number) {
  const sent: WebhookMessage[] = [];
  const registry = new Registry();
  const metrics = new AlertMetrics(registry);
  const notifier = new WebhookNotifier({
    queues: [{ add: (message) => sent.push(message) }],
    origin: { node: 'cp-1', extraLabels: {} },
    burst,
    intervalMs: 60_000,
    maxActive: 100,
    metrics,
    drops: new DropLog(metrics, winston.createLogger({ silent: true })),
  });
  return { sent, notifier, registry };
}

const match = (index: number, user = 'system:admin') => detectionOf(RULE, sampleEvent(index, { user: { username: user } }), ['user', 'namespace']);

describe('WebhookNotifier', () => {
  it('turns a burst of 10 000 matches into the burst plus one message counting the suppressed ones', async () => {
    const { sent, notifier, registry } = setup(2);
    for (let index = 0; index < 10_000; index++) notifier.record(match(index), 1_000 + index);
    assert.equal(sent.length, 2, 'the burst goes out at once');
    assert.deepEqual(sent.map((message) => [message.matches, message.suppressed]), [[1, 0], [1, 0]]);
    notifier.tick(61_000);
    assert.equal(sent.length, 3, 'the end of the interval reports what was held back');
    const summary = sent[2]!;
    assert.equal(summary.suppressed, 9_998);
    assert.equal(summary.matches, 9_998);
    assert.equal(summary.auditIDs.length, 10, 'the latest auditIDs');
    assert.equal(summary.auditIDs.at(-1), '00000000-0000-4000-8000-000000009999');
    assert.match(summary.text, /9998 more matches held back/);
    assert.match(await registry.getSingleMetricAsString('kube_audit_forwarder_alerts_suppressed_total'), /rule="secret-read"} 9998/);
    notifier.tick(200_000);
    assert.equal(sent.length, 3, 'a quiet interval sends nothing');
  });

  it('limits each rule and subject on its own', () => {
    const { sent, notifier } = setup(1);
    notifier.record(match(1, 'alice'), 0);
    notifier.record(match(2, 'alice'), 1);
    notifier.record(match(3, 'bob'), 2);
    assert.deepEqual(sent.map((message) => message.labels.user), ['alice', 'bob']);
  });

  it('the summary opens the next interval, so a steady flood yields one message per interval', () => {
    const { sent, notifier } = setup(1);
    for (let second = 0; second < 300; second++) notifier.record(match(second), second * 1_000);
    // 0 s: first match; 60, 120, 180, 240 s: a summary each (the match that ends the interval opens the next).
    assert.equal(sent.length, 5);
    assert.ok(sent.slice(1).every((message) => message.suppressed > 0));
  });

  it('formats a Slack-compatible body as {text} only', () => {
    const { sent, notifier } = setup(1);
    notifier.record(match(1), 0);
    assert.deepEqual(Object.keys(webhookBody('slack', sent[0]!) as object), ['text']);
    assert.match((webhookBody('slack', sent[0]!) as { text: string }).text, /^\[medium\] secret-read on cp-1: Secrets were read/);
    assert.equal((webhookBody('json', sent[0]!) as WebhookMessage).rule, 'secret-read');
  });
});
