import type { IncomingMessage, ServerResponse } from 'node:http';
import { http } from './node-http.js';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from 'winston';

/**
 * What `/readyz` reports: one entry per condition the agent needs to make progress (the
 * checkpoint dir is writable, the sink delivers), each with a line an operator can act on.
 */
export interface ReadinessReport {
  /** True only when every check is ok. */
  ready: boolean;
  checks: Record<string, { ok: boolean; detail: string }>;
}

export type ReadinessProbe = () => Promise<ReadinessReport>;

export interface HttpServerOptions {
  port: number;
  host: string;
  registry: Registry;
  readiness: ReadinessProbe;
  logger: Logger;
}

export interface HttpServerHandle {
  /** Base URL with the port actually bound, e.g. `http://127.0.0.1:2020`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open (keep-alive) connections. */
  close(): Promise<void>;
}

/** Probes and scrapes are small GETs; a client that dribbles bytes is cut off. */
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Serves the agent's three endpoints on one port:
 * - `/healthz` (liveness) answers 200 whenever the event loop runs. It checks nothing else on
 *   purpose: restarting the agent cannot fix a down sink, and a restart loop would only hide it.
 * - `/readyz` answers 200 or 503 with the readiness report as JSON.
 * - `/metrics` is the Prometheus text exposition of `registry`.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const { registry, readiness, logger } = options;
  const server = http.createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      logger.warn('http endpoint failed', { path: request.url, error: (error as Error).message });
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else response.destroy();
    });
  });
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    const { pathname } = new URL(request.url ?? '/', 'http://agent');
    switch (pathname) {
      case '/healthz':
        send(response, 200, 'text/plain; charset=utf-8', 'ok\n');
        return;
      case '/readyz': {
        const report = await readiness();
        send(response, report.ready ? 200 : 503, 'application/json', `${JSON.stringify(report)}\n`);
        return;
      }
      case '/metrics':
        send(response, 200, registry.contentType, await registry.metrics());
        return;
      default:
        send(response, 404, 'text/plain; charset=utf-8', 'not found: try /metrics, /healthz or /readyz\n');
    }
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(new Error(`cannot serve the HTTP endpoints on ${options.host}:${options.port}: ${error.message}`));
    };
    server.once('error', onError);
    server.listen({ port: options.port, host: options.host }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => logger.error('http server error', { error: error.message }));

  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(options.host)}:${port}`;
  logger.info('http endpoints listening', { url, endpoints: ['/metrics', '/healthz', '/readyz'] });

  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  response.end(body);
}

/** IPv6 literals need brackets in a URL. */
function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
