import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import winston from 'winston';
import { AlertMetrics } from '../../../src/alerts/alert-metrics.js';
import { AlertmanagerNotifier, type AlertmanagerAlert } from '../../../src/alerts/alertmanager-notifier.js';
import { detectionOf } from '../../../src/alerts/detection.js';
import { DropLog } from '../../../src/alerts/drop-log.js';
import { sampleEvent } from '../../helpers/forward/audit-records.js';

const RULE = { id: 'pod-exec-attach', description: 'Someone ran a command in a container', severity: 'high' };
/** Wall-clock times of the tests: after the events' own (2024-05-01T10:00Z), as in a live cluster. */
const T = Date.parse('2024-05-01T12:00:00Z');
const quietLogger = winston.createLogger({ silent: true });

function setup(options: { maxActive?: number } = {}) {
  const sent: AlertmanagerAlert[] = [];
  const registry = new Registry();
  const metrics = new AlertMetrics(registry);
  const notifier = new AlertmanagerNotifier({
    queues: [{ add: (alert) => sent.push(alert) }],
    origin: { node: 'cp-1', extraLabels: { cluster: 'prod' } },
    resendIntervalMs: 1_000,
    resolveAfterMs: 5_000,
    maxActive: options.maxActive ?? 100,
    drops: new DropLog(metrics, quietLogger),
  });
  return { sent, notifier, registry };
}

const match = (index: number, extra: Record<string, unknown> = {}) =>
  detectionOf(RULE, sampleEvent(index, { stageTimestamp: `2024-05-01T10:00:0${index}.000000Z`, ...extra }), ['user', 'namespace', 'resource']);

describe('AlertmanagerNotifier', () => {
  it('sends a new alert at once with the rule, subject and node labels and the request annotations', () => {
    const { sent, notifier } = setup();
    notifier.record(match(1), T);
    assert.equal(sent.length, 1);
    const [alert] = sent;
    assert.deepEqual(alert!.labels, { cluster: 'prod', alertname: 'PodExecAttach', rule: 'pod-exec-attach', severity: 'high', node: 'cp-1', user: 'system:admin', namespace: 'default', resource: 'pods' });
    assert.equal(alert!.annotations.auditIDs, '00000000-0000-4000-8000-000000000001');
    assert.equal(alert!.annotations.remediation, RULE.description, 'no remediation hint: the description');
    assert.match(alert!.annotations.description!, /^system:admin get pods default\/pod-1 → 200$/);
    assert.match(alert!.annotations.summary!, /user=system:admin, namespace=default, resource=pods/);
    assert.equal(alert!.startsAt, '2024-05-01T10:00:01.000Z', 'startsAt is the event time');
    assert.equal(alert!.endsAt, new Date(T + 5_000).toISOString(), 'firing until the quiet period after the last match');
  });

  it('folds further matches of the same rule and subject into one alert, re-sent with them every resend interval', () => {
    const { sent, notifier } = setup();
    notifier.record(match(2), T);
    notifier.record(match(1), T + 200);
    notifier.record(match(3), T + 400);
    assert.equal(sent.length, 1, 'no send between resends');
    notifier.tick(T + 500);
    assert.equal(sent.length, 1);
    notifier.tick(T + 1000);
    assert.equal(sent.length, 2);
    const resent = sent[1]!;
    assert.deepEqual(resent.labels, sent[0]!.labels, 'same labels: Alertmanager dedupes them into one alert');
    assert.equal(resent.annotations.matches, '3');
    assert.equal(resent.annotations.auditIDs!.split(',').length, 3);
    assert.equal(resent.startsAt, '2024-05-01T10:00:01.000Z', 'the earliest event');
    assert.equal(resent.endsAt, new Date(T + 400 + 5_000).toISOString());
  });

  it('keeps other subjects apart and honours a rule remediation hint', () => {
    const { sent, notifier } = setup();
    notifier.record(match(1), T);
    notifier.record(detectionOf({ ...RULE, remediation: 'Remove exec rights', mitre: ['T1609'] }, sampleEvent(2, { user: { username: 'mallory' } }), ['user', 'namespace', 'resource']), T);
    assert.equal(sent.length, 2);
    assert.equal(sent[1]!.labels.user, 'mallory');
    assert.equal(sent[1]!.annotations.remediation, 'Remove exec rights');
    assert.equal(sent[1]!.annotations.mitre, 'T1609');
    assert.equal(sent[0]!.annotations.mitre, undefined, 'no MITRE ids, no annotation');
  });

  it('resolves an alert after the quiet period with endsAt in the past, and forgets it', () => {
    const { sent, notifier } = setup();
    notifier.record(match(1), T);
    notifier.tick(T + 4999);
    const before = sent.length;
    notifier.tick(T + 5000);
    assert.equal(sent.length, before + 1);
    assert.equal(sent.at(-1)!.endsAt, new Date(T + 5_000).toISOString());
    notifier.tick(T + 10000);
    assert.equal(sent.length, before + 1, 'resolved once, then forgotten');
    notifier.record(match(1), T + 20000);
    assert.equal(sent.length, before + 2, 'a later match fires it anew');
  });

  it('drops matches for subjects beyond --alerts-max-active and counts them', async () => {
    const { sent, notifier, registry } = setup({ maxActive: 1 });
    notifier.record(match(1), T);
    notifier.record(detectionOf(RULE, sampleEvent(2, { user: { username: 'mallory' } }), ['user']), T);
    assert.equal(sent.length, 1);
    const metric = await registry.getSingleMetricAsString('kube_audit_forwarder_alerts_dropped_total');
    assert.match(metric, /reason="too_many_alerts"} 1/);
  });
});
