import { Agent, request } from 'node:https';

export interface ApiResponse {
  status: number;
  body: string;
}

/**
 * The Kubernetes REST API over HTTPS, as kubectl speaks it: a bearer token (or none, anonymous),
 * the cluster's CA, JSON bodies. Only what the tests need: requests and a watch that runs until the
 * server ends it (`timeoutSeconds`).
 */
export class ApiClient {
  private readonly agent: Agent;

  constructor(
    private readonly baseUrl: string,
    ca: string,
    private readonly token?: string,
  ) {
    this.agent = new Agent({ ca, keepAlive: true, maxSockets: 8 });
  }

  request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.baseUrl),
        {
          method,
          agent: this.agent,
          headers: {
            accept: 'application/json',
            ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Like request, but fails unless the status is the expected one. */
  async expect(status: number, method: string, path: string, body?: unknown): Promise<string> {
    const response = await this.request(method, path, body);
    if (response.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${response.status}: ${response.body.slice(0, 300)}`);
    return response.body;
  }

  /** A watch of `path` until the server closes it after `seconds`; resolves with the number of events seen. */
  async watch(path: string, seconds: number): Promise<number> {
    const separator = path.includes('?') ? '&' : '?';
    const body = await this.expect(200, 'GET', `${path}${separator}watch=true&timeoutSeconds=${seconds}`);
    return body.split('\n').filter((line) => line.startsWith('{')).length;
  }

  close(): void {
    this.agent.destroy();
  }
}
