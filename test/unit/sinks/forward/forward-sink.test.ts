import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import winston from 'winston';
import { PermanentSinkError } from '../../../../src/sinks/sink.js';
import { forwardOptionGroup } from '../../../../src/sinks/forward/forward-options.js';
import { ForwardSink } from '../../../../src/sinks/forward/forward-sink.js';
import {
  FaultInjectingForwardServer,
  type FaultInjectingServerOptions,
} from '../../../helpers/forward/fault-injecting-forward-server.js';
import { batchOf, sampleEvent } from '../../../helpers/forward/audit-records.js';
import { waitUntil } from '../../../helpers/agent-process.js';

const silentLogger = winston.createLogger({ silent: true });

describe('ForwardSink against a fault-injecting server', function () {
  this.timeout(20_000);
  const servers: FaultInjectingForwardServer[] = [];
  const sinks: ForwardSink[] = [];

  async function server(options: FaultInjectingServerOptions = {}): Promise<FaultInjectingForwardServer> {
    const started = await FaultInjectingForwardServer.start(options);
    servers.push(started);
    return started;
  }

  async function sink(flags: Record<string, string>, registry = new Registry()): Promise<ForwardSink> {
    const defaults = Object.fromEntries(
      Object.entries(forwardOptionGroup.options)
        .filter(([, option]) => option.default !== undefined)
        .map(([flag, option]) => [flag, option.default]),
    );
    const config = forwardOptionGroup.read({
      ...defaults,
      'forward-ack-timeout-ms': '1000',
      'forward-connect-timeout-ms': '1000',
      'forward-health-check-interval-ms': '100',
      ...flags,
    });
    const created = new ForwardSink(config, { logger: silentLogger, registry });
    await created.start();
    sinks.push(created);
    return created;
  }

  afterEach(async () => {
    for (const created of sinks.splice(0)) await created.close();
    for (const started of servers.splice(0)) await started.close();
  });

  it('resolves only after the ack of its chunk, with every record delivered as sent', async () => {
    const target = await server();
    const forward = await sink({ 'forward-servers': target.address });
    const events = [sampleEvent(1), sampleEvent(2), sampleEvent(3)];
    await forward.send(batchOf(events));
    assert.deepEqual(target.records, events);
    assert.equal(target.messages[0].entriesType, 'bin');
    assert.equal(target.messages[0].tag, 'kube.audit');
    assert.equal(target.messages[0].entries[0].seconds, 1714557600);
    assert.equal(target.messages[0].entries[0].nanoseconds, 123456000);
  });

  it('does not resolve while the ack is withheld, rejects at the ack timeout, and the resend is acked', async () => {
    const target = await server();
    target.willRespond('withhold-ack');
    const forward = await sink({ 'forward-servers': target.address, 'forward-ack-timeout-ms': '300' });
    const batch = batchOf([sampleEvent(1)]);
    let settled = false;
    const first = forward.send(batch).finally(() => (settled = true));
    await target.waitFor(() => target.messages.length === 1);
    assert.equal(settled, false, 'received but not acked is not delivered');
    await assert.rejects(first, /no ack for chunk .* within 300 ms/);
    await forward.send(batch);
    assert.equal(target.messages.length, 2, 'the batch was sent again');
    assert.ok(target.connectionCount >= 2, 'on a new connection: the old one was discarded');
  });

  it('rejects an ack for another chunk and drops that connection', async () => {
    const target = await server();
    target.willRespond('wrong-ack');
    const forward = await sink({ 'forward-servers': target.address });
    await assert.rejects(forward.send(batchOf([sampleEvent(1)])), /answered chunk .* with \{"ack":"not-/);
    await forward.send(batchOf([sampleEvent(1)]));
    assert.equal(target.connectionCount, 2);
  });

  it('rejects at once when the server half-closes instead of acking, well before the ack timeout', async () => {
    const target = await server();
    target.willRespond('half-close');
    const forward = await sink({ 'forward-servers': target.address, 'forward-ack-timeout-ms': '10000' });
    const started = Date.now();
    await assert.rejects(forward.send(batchOf([sampleEvent(1)])), /closed the connection/);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  it('rejects when the server resets the connection', async () => {
    const target = await server();
    target.willRespond('reset');
    const forward = await sink({ 'forward-servers': target.address });
    await assert.rejects(forward.send(batchOf([sampleEvent(1)])), /ECONNRESET|closed the connection/);
  });

  it('delivers a multi-message batch to a slow reader that acks within the timeout', async () => {
    const target = await server({ readBytesPerTick: 64 * 1024 });
    const forward = await sink({
      'forward-servers': target.address,
      'forward-ack-timeout-ms': '15000',
      'forward-max-message-bytes': '256KiB',
    });
    const events = Array.from({ length: 1500 }, (_, index) => sampleEvent(index, { requestObject: { pad: 'p'.repeat(800) } }));
    await forward.send(batchOf(events));
    assert.ok(target.messages.length > 4, `split into ${target.messages.length} messages`);
    assert.deepEqual(target.records.map((record) => record.auditID), events.map((event) => event.auditID));
  });

  it('gives up on a server that stops reading at the ack timeout instead of hanging', async () => {
    const target = await server({ stallReads: true });
    const forward = await sink({ 'forward-servers': target.address, 'forward-ack-timeout-ms': '500' });
    const events = Array.from({ length: 2000 }, (_, index) => sampleEvent(index, { requestObject: { pad: 'p'.repeat(1000) } }));
    await assert.rejects(forward.send(batchOf(events)), /no ack for chunk/);
    assert.equal(forward.health().ready, false);
  });

  it('fails over: a dead first server does not stop delivery to the second', async () => {
    const dead = await server();
    const deadAddress = dead.address;
    await dead.close();
    const alive = await server();
    const forward = await sink({ 'forward-servers': `${deadAddress},${alive.address}` });
    for (let index = 0; index < 4; index++) await forward.send(batchOf([sampleEvent(index)]));
    assert.equal(alive.records.length, 4);
    assert.match(forward.health().detail, /1\/2 forward servers up/);
  });

  it('sends the retry of a failed batch to the other server, and takes the first back once a probe reaches it', async () => {
    const first = await server();
    const second = await server();
    const forward = await sink({ 'forward-servers': `${first.address},${second.address}`, 'forward-ack-timeout-ms': '300' });
    first.willRespond('withhold-ack');
    const batch = batchOf([sampleEvent(1)]);
    await assert.rejects(forward.send(batch));
    await forward.send(batch);
    assert.equal(second.records.length, 1, 'the resend went to the second server');
    await waitUntil(() => forward.health().detail.startsWith('2/2'), 5000, 'the health probe to bring the first server back');
    await forward.send(batchOf([sampleEvent(2)]));
    await forward.send(batchOf([sampleEvent(3)]));
    assert.equal(first.records.length, 2, 'round robin includes the first server again (1 unacked + 1 acked)');
  });

  it('with --alerts-forward-tag also sends the events that matched a detection under that tag, in the same send', async () => {
    const target = await server();
    const forward = await sink({ 'forward-servers': target.address, 'alerts-forward-tag': 'kube.audit.alerts' });
    const batch = batchOf([sampleEvent(1), sampleEvent(2), sampleEvent(3)]);
    batch.records[1].detections = ['pod-exec-attach'];
    await forward.send(batch);
    assert.deepEqual(
      target.messages.map((message) => [message.tag, message.entries.map((entry) => entry.record.auditID)]),
      [
        ['kube.audit', [sampleEvent(1).auditID, sampleEvent(2).auditID, sampleEvent(3).auditID]],
        ['kube.audit.alerts', [sampleEvent(2).auditID]],
      ],
    );
  });

  it('probes the servers at start, so readiness is false before the first batch when none answers', async () => {
    const dead = await server();
    const address = dead.address;
    await dead.close();
    const forward = await sink({ 'forward-servers': address });
    await waitUntil(() => !forward.health().ready, 5000, 'readiness to turn false');
    assert.match(forward.health().detail, /no forward server up .*ECONNREFUSED/);
  });

  it('keeps the connection alive between batches', async () => {
    const target = await server();
    const forward = await sink({ 'forward-servers': target.address });
    for (let index = 0; index < 5; index++) await forward.send(batchOf([sampleEvent(index)]));
    assert.equal(target.connectionCount, 1);
  });

  it('carries concurrent sends on separate connections, each acked', async () => {
    const target = await server();
    const forward = await sink({ 'forward-servers': target.address });
    await Promise.all(Array.from({ length: 8 }, (_, index) => forward.send(batchOf([sampleEvent(index)]))));
    assert.equal(target.records.length, 8);
    assert.ok(target.connectionCount > 1 && target.connectionCount <= 8);
  });

  it('rejects every send while all servers are down and delivers once one comes back on its port', async () => {
    const target = await server();
    const port = target.port;
    await target.close();
    servers.splice(servers.indexOf(target), 1);
    const forward = await sink({ 'forward-servers': `127.0.0.1:${port}` });
    await assert.rejects(forward.send(batchOf([sampleEvent(1)])), /no forward server reachable: .*ECONNREFUSED/);
    assert.equal(forward.health().ready, false);
    const back = await FaultInjectingForwardServer.start({}, port);
    servers.push(back);
    await forward.send(batchOf([sampleEvent(1)]));
    assert.equal(back.records.length, 1);
    assert.equal(forward.health().ready, true);
  });

  describe('with shared-key authentication', () => {
    const security = { sharedKey: 'k8s-audit-key', serverHostname: 'collector.test', users: { auditor: 's3cret' } };

    it('authenticates with shared key and user, verifies the server digest, then delivers', async () => {
      const target = await server({ security });
      const forward = await sink({
        'forward-servers': target.address,
        'forward-shared-key': 'k8s-audit-key',
        'forward-username': 'auditor',
        'forward-password': 's3cret',
        'forward-self-hostname': 'agent.test',
      });
      await forward.send(batchOf([sampleEvent(1)]));
      assert.deepEqual(target.handshakes, ['ok']);
      assert.equal(target.records.length, 1);
    });

    it('opens a new connection per message when the server\'s HELO says keepalive: false', async () => {
      const target = await server({ security: { ...security, users: undefined, keepalive: false } });
      const forward = await sink({ 'forward-servers': target.address, 'forward-shared-key': 'k8s-audit-key' });
      for (let index = 0; index < 3; index++) await forward.send(batchOf([sampleEvent(index)]));
      assert.deepEqual(target.handshakes, ['ok', 'ok', 'ok']);
      assert.equal(target.records.length, 3);
    });

    it('a wrong key fails permanently with the server\'s reason', async () => {
      const target = await server({ security });
      const forward = await sink({
        'forward-servers': target.address,
        'forward-shared-key': 'wrong-key',
        'forward-username': 'auditor',
        'forward-password': 's3cret',
      });
      await assert.rejects(
        forward.send(batchOf([sampleEvent(1)])),
        (error: Error) => error instanceof PermanentSinkError && /refused authentication: shared key mismatch/.test(error.message),
      );
      assert.equal(target.records.length, 0);
    });

    it('a server that answers with a digest of another key is not trusted with the data', async () => {
      const target = await server({ security: { ...security, users: undefined, pongKey: 'impostor-key' } });
      const forward = await sink({ 'forward-servers': target.address, 'forward-shared-key': 'k8s-audit-key' });
      await assert.rejects(forward.send(batchOf([sampleEvent(1)])), /does not know --forward-shared-key/);
      assert.equal(target.records.length, 0);
    });

    it('a server that requires a handshake the sink was not configured for fails with a clear message', async () => {
      const target = await server({ security });
      const forward = await sink({ 'forward-servers': target.address });
      await assert.rejects(
        forward.send(batchOf([sampleEvent(1)])),
        (error: Error) => error instanceof PermanentSinkError && /requires shared-key authentication: set --forward-shared-key/.test(error.message),
      );
    });
  });
});
