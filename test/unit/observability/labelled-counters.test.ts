import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import winston from 'winston';
import { AlertMetrics } from '../../../src/alerts/alert-metrics.js';
import { alertOptions } from '../../../src/alerts/alert-options.js';
import { Alerting } from '../../../src/alerts/alerting.js';
import { AlertQueue } from '../../../src/alerts/alert-queue.js';
import { DropLog } from '../../../src/alerts/drop-log.js';
import { HttpEndpoint } from '../../../src/alerts/http-endpoint.js';
import { forwardOptionGroup } from '../../../src/sinks/forward/forward-options.js';
import { ForwardSink } from '../../../src/sinks/forward/forward-sink.js';
import { KafkaSinkMetrics } from '../../../src/sinks/kafka/kafka-sink-metrics.js';
import { FaultInjectingForwardServer } from '../../helpers/forward/fault-injecting-forward-server.js';
import { freePort } from '../../helpers/forward/server-scripts.js';

const silentLogger = winston.createLogger({ silent: true });

/** The samples of one family, as `{labels} value` lines (label order as served). */
async function samples(registry: Registry, name: string): Promise<string[]> {
  const text = await registry.getSingleMetricAsString(name);
  return text.split('\n').filter((line) => line.startsWith(name)).map((line) => line.slice(name.length));
}

describe('labelled counters are served at 0 from the start, for every label known then', () => {
  it('Kafka: a send failure series for each kind of failure, and each oversize outcome', async () => {
    const registry = new Registry();
    new KafkaSinkMetrics(registry);
    assert.deepEqual(await samples(registry, 'kube_audit_forwarder_kafka_send_failures_total'), [
      ...['authentication', 'authorization', 'tls', 'unreachable', 'message-too-large', 'unknown-topic', 'producer-state', 'fenced', 'other'].map((kind) => `{kind="${kind}"} 0`),
    ]);
    assert.deepEqual(await samples(registry, 'kube_audit_forwarder_kafka_oversize_events_total'), ['{outcome="truncated"} 0', '{outcome="dead_lettered"} 0']);
  });

  it('forward: messages acked and failed, and connections opened, for each configured server', async () => {
    const servers = [await FaultInjectingForwardServer.start(), await FaultInjectingForwardServer.start()];
    const registry = new Registry();
    const defaults = Object.fromEntries(Object.entries(forwardOptionGroup.options).filter(([, option]) => option.default !== undefined).map(([flag, option]) => [flag, option.default]));
    const config = forwardOptionGroup.read({ ...defaults, 'forward-servers': servers.map((server) => server.address).join(',') });
    const sink = new ForwardSink(config, { logger: silentLogger, registry });
    try {
      const [first, second] = servers.map((server) => server.address);
      assert.deepEqual(await samples(registry, 'kube_audit_forwarder_forward_messages_total'), [
        `{server="${first}",outcome="acked"} 0`,
        `{server="${first}",outcome="failed"} 0`,
        `{server="${second}",outcome="acked"} 0`,
        `{server="${second}",outcome="failed"} 0`,
      ]);
      assert.deepEqual(await samples(registry, 'kube_audit_forwarder_forward_connections_opened_total'), [`{server="${first}"} 0`, `{server="${second}"} 0`]);
    } finally {
      await sink.close();
      for (const server of servers) await server.close();
    }
  });

  it('alerts: alerts sent and failed POSTs for each receiver, before the first POST', async () => {
    const registry = new Registry();
    const metrics = new AlertMetrics(registry);
    const url = `http://127.0.0.1:${await freePort()}/hook`;
    const queue = new AlertQueue<number>({
      receiver: 'webhook',
      endpoint: new HttpEndpoint({ url: new URL(url), displayUrl: url, timeoutMs: 1_000 }),
      capacity: 10,
      maxBatch: 1,
      bodyOf: (items) => items,
      retry: { minMs: 10, maxMs: 100, giveUpAfterMs: 1_000 },
      metrics,
      drops: new DropLog(metrics, silentLogger),
      logger: silentLogger,
    });
    assert.deepEqual(await samples(registry, 'kube_audit_forwarder_alerts_sent_total'), ['{receiver="webhook"} 0']);
    assert.deepEqual(await samples(registry, 'kube_audit_forwarder_alert_posts_failed_total'), ['{receiver="webhook"} 0']);
    await queue.stop(100);
  });

  it('alerts: matches held back by the webhook rate limit, for each rule that raises alerts, before any match', async () => {
    const registry = new Registry();
    const defaults = Object.fromEntries(Object.entries(alertOptions.options).filter(([, option]) => option.default !== undefined).map(([flag, option]) => [flag, option.default]));
    const config = alertOptions.read({ ...defaults, 'alert-webhook-url': `http://127.0.0.1:${await freePort()}/hook`, 'alerts-min-severity': 'high' });
    const rules = [
      { id: 'pod-exec', description: 'exec into a pod', severity: 'high' },
      { id: 'secret-read', description: 'a secret read', severity: 'critical' },
      { id: 'configmap-listed', description: 'below the minimum severity: raises no alert', severity: 'low' },
    ];
    const alerting = Alerting.create(config, { logger: silentLogger, registry, rules });
    try {
      assert.deepEqual(await samples(registry, 'kube_audit_forwarder_alerts_suppressed_total'), ['{rule="pod-exec"} 0', '{rule="secret-read"} 0']);
    } finally {
      await alerting?.stop();
    }
  });
});
