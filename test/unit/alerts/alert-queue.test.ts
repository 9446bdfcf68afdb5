import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import winston from 'winston';
import { AlertMetrics } from '../../../src/alerts/alert-metrics.js';
import { AlertQueue } from '../../../src/alerts/alert-queue.js';
import { DropLog } from '../../../src/alerts/drop-log.js';
import { HttpEndpoint, type EndpointConfig } from '../../../src/alerts/http-endpoint.js';
import { waitUntil } from '../../helpers/agent-process.js';
import { freePort } from '../../helpers/forward/server-scripts.js';
import { WebhookReceiver } from '../../helpers/alerts/webhook-receiver.js';

interface Item {
  key: string;
  value: number;
}

function queueTo(url: string, options: { capacity?: number; giveUpAfterMs?: number; retryMinMs?: number; coalesce?: boolean; endpoint?: Partial<EndpointConfig> } = {}) {
  const registry = new Registry();
  const metrics = new AlertMetrics(registry);
  const logger = winston.createLogger({ silent: true });
  const queue = new AlertQueue<Item>({
    receiver: 'webhook',
    endpoint: new HttpEndpoint({ url: new URL(url), displayUrl: url, timeoutMs: 2_000, ...options.endpoint }),
    capacity: options.capacity ?? 100,
    maxBatch: 10,
    bodyOf: (items) => items,
    ...(options.coalesce ? { keyOf: (item: Item) => item.key } : {}),
    retry: { minMs: options.retryMinMs ?? 20, maxMs: Math.max(100, options.retryMinMs ?? 0), giveUpAfterMs: options.giveUpAfterMs ?? 60_000 },
    metrics,
    drops: new DropLog(metrics, logger),
    logger,
  });
  const dropped = async (reason: string) => {
    const line = (await registry.getSingleMetricAsString('kube_audit_forwarder_alerts_dropped_total')).split('\n').find((text) => text.includes(`reason="${reason}"`));
    return Number(line?.split(' ').pop());
  };
  return { queue, registry, dropped };
}

describe('AlertQueue', function () {
  this.timeout(20_000);
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    receiver = new WebhookReceiver();
    await receiver.start();
  });
  afterEach(() => receiver.stop());

  it('retries while the receiver answers 503 and delivers every item, in order, once it accepts', async () => {
    receiver.status = 503;
    const { queue } = queueTo(receiver.url);
    for (let value = 0; value < 25; value++) queue.add({ key: `k${value}`, value });
    await waitUntil(() => receiver.refused.length >= 3, 10_000, 'three refused attempts');
    receiver.status = 200;
    await waitUntil(() => queue.size === 0 && receiver.accepted.length > 0 && (receiver.bodies.flat() as Item[]).length === 25, 10_000, 'all delivered');
    assert.deepEqual((receiver.bodies.flat() as Item[]).map((item) => item.value), [...Array(25).keys()]);
    await queue.stop(1_000);
  });

  it('never waits when full: further items are dropped and counted as queue_full', async () => {
    const port = await freePort();
    const { queue, dropped } = queueTo(`http://127.0.0.1:${port}/hook`, { capacity: 5 });
    const started = process.hrtime.bigint();
    for (let value = 0; value < 1_000; value++) queue.add({ key: `k${value}`, value });
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 500, 'add returns at once');
    // The first batch may be in flight (out of the queue) while the rest waits.
    assert.ok(queue.size <= 5);
    assert.ok((await dropped('queue_full')) >= 990);
    await queue.stop(1_000);
  });

  it('keeps only the newest state of an item with the same key', async () => {
    receiver.status = 503;
    // Retries slow enough that the newer states are queued before the first retry goes out.
    const { queue } = queueTo(receiver.url, { coalesce: true, retryMinMs: 1_000 });
    queue.add({ key: 'a', value: 1 });
    await waitUntil(() => receiver.refused.length >= 1, 5_000, 'first attempt refused');
    queue.add({ key: 'a', value: 2 });
    queue.add({ key: 'a', value: 3 });
    receiver.status = 200;
    await waitUntil(() => receiver.accepted.length >= 1, 5_000, 'delivered');
    assert.deepEqual(receiver.bodies.flat(), [{ key: 'a', value: 3 }]);
    await queue.stop(1_000);
  });

  it('drops what the receiver refuses for good (4xx) and what stays undelivered too long', async () => {
    receiver.status = 400;
    const { queue, dropped } = queueTo(receiver.url);
    queue.add({ key: 'a', value: 1 });
    await waitUntil(async () => (await dropped('rejected')) === 1, 5_000, 'rejected');
    receiver.status = 503;
    const { queue: expiring, dropped: droppedLater } = queueTo(receiver.url, { giveUpAfterMs: 200 });
    expiring.add({ key: 'b', value: 2 });
    await waitUntil(async () => (await droppedLater('expired')) === 1, 5_000, 'expired');
    assert.equal(expiring.size, 0);
    await Promise.all([queue.stop(1_000), expiring.stop(1_000)]);
  });

  it('a stop with the receiver down returns at once and counts what it leaves as shutdown', async () => {
    const port = await freePort();
    // The retry waits a minute: once the first POST has failed, all 30 wait in the queue and none
    // is in flight when the stop comes.
    const { queue, registry, dropped } = queueTo(`http://127.0.0.1:${port}/hook`, { retryMinMs: 60_000 });
    for (let value = 0; value < 30; value++) queue.add({ key: `k${value}`, value });
    await waitUntil(async () => (await registry.getSingleMetricAsString('kube_audit_forwarder_alert_posts_failed_total')).includes('receiver="webhook"} 1'), 10_000, 'a refused POST');
    const started = Date.now();
    await queue.stop(5_000);
    assert.ok(Date.now() - started < 1_000, `stop took ${Date.now() - started} ms`);
    assert.equal(await dropped('shutdown'), 30);
  });

  it('sends the bearer token or basic-auth password read from their files', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/kaf-alert-auth-`);
    writeFileSync(`${dir}/token`, 't0ken\n');
    writeFileSync(`${dir}/password`, 's3cret\n');
    const bearer = queueTo(receiver.url, { endpoint: { bearerTokenFile: `${dir}/token` } });
    const basic = queueTo(receiver.url, { endpoint: { basicAuth: { username: 'alerts', passwordFile: `${dir}/password` } } });
    bearer.queue.add({ key: 'a', value: 1 });
    await waitUntil(() => receiver.accepted.length === 1, 5_000, 'bearer request');
    basic.queue.add({ key: 'b', value: 2 });
    await waitUntil(() => receiver.accepted.length === 2, 5_000, 'basic request');
    assert.equal(receiver.accepted[0]!.headers.authorization, 'Bearer t0ken');
    assert.equal(receiver.accepted[1]!.headers.authorization, `Basic ${Buffer.from('alerts:s3cret').toString('base64')}`);
    writeFileSync(`${dir}/token`, 'rotated');
    bearer.queue.add({ key: 'c', value: 3 });
    await waitUntil(() => receiver.accepted.length === 3, 5_000, 'request after rotation');
    assert.equal(receiver.accepted[2]!.headers.authorization, 'Bearer rotated', 'a rotated token file applies without a restart');
    await Promise.all([bearer.queue.stop(1_000), basic.queue.stop(1_000)]);
  });
});
