import { readFile } from 'node:fs/promises';
import type { Agent } from 'node:http';
import https from 'node:https';
import { http } from '../observability/node-http.js';

/** Where and how alerts are POSTed: the URL, TLS material and credentials (files, read per request). */
export interface EndpointConfig {
  readonly url: URL;
  /** The URL as logs and metrics show it, without anything secret. */
  readonly displayUrl: string;
  /** PEM text of extra CA certificates, client certificate and key (mutual TLS). */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Files, re-read on every request so a rotated Secret takes effect without a restart. */
  readonly bearerTokenFile?: string;
  readonly basicAuth?: { readonly username: string; readonly passwordFile: string };
  readonly timeoutMs: number;
}

/** How a POST ended: delivered, worth retrying (network, 5xx, 408, 429), or refused for good. */
export type PostOutcome = { readonly kind: 'delivered' } | { readonly kind: 'retry' | 'rejected'; readonly detail: string };

/** Longest piece of an error body kept for the log. */
const ERROR_BODY_CHARS = 300;

/** A JSON-over-HTTP(S) receiver with a kept-alive connection pool of its own. */
export class HttpEndpoint {
  private readonly agent: Agent;

  constructor(readonly config: EndpointConfig) {
    const options = { keepAlive: true, maxSockets: 2 };
    this.agent =
      config.url.protocol === 'https:'
        ? new https.Agent({ ...options, ca: config.ca, cert: config.cert, key: config.key })
        : new http.Agent(options);
  }

  get displayUrl(): string {
    return this.config.displayUrl;
  }

  async post(body: unknown): Promise<PostOutcome> {
    let headers: Record<string, string>;
    try {
      headers = await this.headers();
    } catch (error) {
      return { kind: 'retry', detail: `reading credentials: ${(error as Error).message}` };
    }
    const payload = Buffer.from(JSON.stringify(body));
    headers['content-length'] = String(payload.length);
    const transport = this.config.url.protocol === 'https:' ? https : http;
    return new Promise<PostOutcome>((resolve) => {
      const request = transport.request(this.config.url, { method: 'POST', headers, agent: this.agent, timeout: this.config.timeoutMs }, (response) => {
        const chunks: Buffer[] = [];
        let length = 0;
        response.on('data', (chunk: Buffer) => {
          if (length < ERROR_BODY_CHARS) chunks.push(chunk);
          length += chunk.length;
        });
        response.on('end', () => resolve(outcomeOf(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
        response.on('error', (error) => resolve({ kind: 'retry', detail: error.message }));
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.config.timeoutMs} ms`)));
      request.on('error', (error) => resolve({ kind: 'retry', detail: error.message }));
      request.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private async headers(): Promise<Record<string, string>> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'kube-audit-forwarder' };
    // Credentials in the URL (https://user:pass@host/) are sent by Node itself.
    const { bearerTokenFile, basicAuth } = this.config;
    if (bearerTokenFile !== undefined) {
      headers.authorization = `Bearer ${(await readFile(bearerTokenFile, 'utf8')).trim()}`;
    } else if (basicAuth !== undefined) {
      const password = (await readFile(basicAuth.passwordFile, 'utf8')).replace(/\r?\n$/, '');
      headers.authorization = `Basic ${Buffer.from(`${basicAuth.username}:${password}`).toString('base64')}`;
    }
    return headers;
  }
}

function outcomeOf(status: number, body: string): PostOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  const detail = `HTTP ${status}${body ? `: ${body.slice(0, ERROR_BODY_CHARS).trim()}` : ''}`;
  return status >= 500 || status === 408 || status === 429 ? { kind: 'retry', detail } : { kind: 'rejected', detail };
}

/** A URL as logs and metrics show it: without the user and password it may carry. */
export function withoutCredentials(url: URL): string {
  const copy = new URL(url);
  copy.username = '';
  copy.password = '';
  return copy.toString();
}
