import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { startHttpServer, type HttpServerHandle, type ReadinessReport } from '../../../src/observability/http-server.js';
import { memoryLogger } from './http-test-support.js';

const READY: ReadinessReport = {
  ready: true,
  checks: { checkpoint: { ok: true, detail: '/var/lib/kube-audit-forwarder' }, sink: { ok: true, detail: 'last send succeeded' } },
};
const SINK_DOWN: ReadinessReport = {
  ready: false,
  checks: {
    checkpoint: { ok: true, detail: '/var/lib/kube-audit-forwarder' },
    sink: { ok: false, detail: 'last send failed: connect ECONNREFUSED 127.0.0.1:9092' },
  },
};

describe('HTTP endpoints server', () => {
  let server: HttpServerHandle | undefined;
  let report: ReadinessReport;
  let readinessError: Error | undefined;
  let registry: Registry;
  const log = memoryLogger();

  beforeEach(async () => {
    report = READY;
    readinessError = undefined;
    registry = new Registry();
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      registry,
      readiness: async () => {
        if (readinessError) throw readinessError;
        return report;
      },
      logger: log.logger,
    });
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('binds a free port when asked for port 0, names it in url and logs where it listens', () => {
    assert.ok(server!.port > 0);
    assert.equal(server!.url, `http://127.0.0.1:${server!.port}`);
    assert.ok(log.entries.some((entry) => entry.message === 'http endpoints listening' && entry.url === server!.url));
  });

  it('/healthz answers 200 while the sink is down (liveness never depends on the sink)', async () => {
    report = SINK_DOWN;
    const response = await fetch(`${server!.url}/healthz`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'ok\n');
  });

  it('/readyz answers 503 with every check and the failing detail when a check is not ready', async () => {
    report = SINK_DOWN;
    const response = await fetch(`${server!.url}/readyz`);
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.deepEqual(await response.json(), SINK_DOWN);
  });

  it('/readyz answers 200 once every check is ready again', async () => {
    report = SINK_DOWN;
    assert.equal((await fetch(`${server!.url}/readyz`)).status, 503);
    report = READY;
    const response = await fetch(`${server!.url}/readyz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), READY);
  });

  it('/readyz answers 500 when the readiness probe itself fails, and the server keeps serving', async () => {
    readinessError = new Error('probe broke');
    assert.equal((await fetch(`${server!.url}/readyz`)).status, 500);
    assert.ok(log.entries.some((entry) => entry.message === 'http endpoint failed' && entry.error === 'probe broke'));
    assert.equal((await fetch(`${server!.url}/healthz`)).status, 200);
  });

  it('/metrics serves the registry in the Prometheus text format with its content type', async () => {
    const shipped = new Counter({ name: 'kube_audit_forwarder_events_shipped_total', help: 'Events acknowledged', registers: [registry] });
    shipped.inc(42);
    const response = await fetch(`${server!.url}/metrics`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), registry.contentType);
    const body = await response.text();
    assert.match(body, /^# HELP kube_audit_forwarder_events_shipped_total Events acknowledged$/m);
    assert.match(body, /^kube_audit_forwarder_events_shipped_total 42$/m);
  });

  it('HEAD /healthz answers 200 without a body', async () => {
    const response = await fetch(`${server!.url}/healthz`, { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '');
  });

  it('answers 404 for other paths and 405 with an Allow header for other methods', async () => {
    assert.equal((await fetch(`${server!.url}/`)).status, 404);
    assert.equal((await fetch(`${server!.url}/healthz/extra`)).status, 404);
    const post = await fetch(`${server!.url}/metrics`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  it('ignores the query string when routing (kubelet probes may add one)', async () => {
    assert.equal((await fetch(`${server!.url}/healthz?verbose=1`)).status, 200);
  });

  it('close() resolves and frees the port while a keep-alive connection is still open', async () => {
    const { port } = server!;
    await new Promise<void>((resolve, reject) => {
      const agentRequest = httpRequest({ port, host: '127.0.0.1', path: '/healthz', headers: { Connection: 'keep-alive' } }, (response) => {
        response.resume();
        response.on('end', resolve);
      });
      agentRequest.on('error', reject);
      agentRequest.end();
    });
    await server!.close();
    server = undefined;
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  });

  it('rejects with a message naming host and port when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      await assert.rejects(
        startHttpServer({ port: taken, host: '127.0.0.1', registry, readiness: async () => READY, logger: log.logger }),
        new RegExp(`cannot serve the HTTP endpoints on 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE`),
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
