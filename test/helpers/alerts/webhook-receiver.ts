import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
  /** Whether the client presented a certificate the server's CA verified (mutual TLS). */
  readonly clientAuthorized: boolean;
}

export interface WebhookReceiverOptions {
  /** Serve HTTPS with this key and certificate; `ca` also asks clients for a certificate. */
  readonly tls?: { readonly key: string; readonly cert: string; readonly ca?: string };
  /** The Authorization header every request must carry; others get 401 and are not recorded as accepted. */
  readonly authorization?: string;
}

/**
 * An HTTP(S) receiver for alert webhooks in tests: records every request (headers, parsed JSON
 * body), checks the Authorization header, and answers with the status a test sets (e.g. 503 to
 * play a receiver that is down).
 */
export class WebhookReceiver {
  /** Requests it accepted (2xx), in arrival order. */
  readonly accepted: ReceivedRequest[] = [];
  /** Requests it refused (auth or the set status). */
  readonly refused: ReceivedRequest[] = [];
  /** The status answered to authorised requests. */
  status = 200;
  private server?: http.Server;

  constructor(private readonly options: WebhookReceiverOptions = {}) {}

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${port}/hook`;
  }

  /** The JSON bodies of the accepted requests. */
  get bodies(): unknown[] {
    return this.accepted.map((request) => request.body);
  }

  async start(port = 0): Promise<void> {
    const handler = (request: IncomingMessage, response: ServerResponse) => void this.handle(request, response);
    const { tls } = this.options;
    this.server = tls
      ? https.createServer({ key: tls.key, cert: tls.cert, ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: false } : {}) }, handler)
      : http.createServer(handler);
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    const socket = request.socket as { authorized?: boolean };
    const received: ReceivedRequest = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body, clientAuthorized: socket.authorized === true };
    const needsClientCert = this.options.tls?.ca !== undefined;
    let status = this.status;
    if (this.options.authorization !== undefined && request.headers.authorization !== this.options.authorization) status = 401;
    if (needsClientCert && !received.clientAuthorized) status = 403;
    (status >= 200 && status < 300 ? this.accepted : this.refused).push(received);
    response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  }
}
