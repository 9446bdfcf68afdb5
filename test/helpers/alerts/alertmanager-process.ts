import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../forward/server-scripts.js';
import { waitUntil } from '../agent-process.js';

const execFileAsync = promisify(execFile);

/** An alert as Alertmanager's `GET /api/v2/alerts` returns it (the fields tests read). */
export interface ApiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}

export interface ApiAlertGroup {
  labels: Record<string, string>;
  alerts: ApiAlert[];
}

/** Alertmanager's own TLS and basic auth (its --web.config.file). */
export interface AlertmanagerWebSecurity {
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA that signed the certificate, for the test's own requests. */
  readonly ca: string;
  readonly username: string;
  readonly password: string;
  /** bcrypt hash of `password`, as the web config wants it. */
  readonly passwordHash: string;
}

/** Alertmanagers still running: killed when the test process exits, so a failed test leaves none behind. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * The real Prometheus Alertmanager (built by scripts/alertmanager.sh from the Go module proxy),
 * run on 127.0.0.1 with a route that groups by `groupBy`, its cluster listener off. Tests read
 * alerts back through its own API.
 */
export class AlertmanagerProcess {
  private child?: ChildProcess;
  log = '';

  constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly groupBy: readonly string[],
    private readonly security?: AlertmanagerWebSecurity,
  ) {}

  get url(): string {
    return `${this.security ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  static async binary(): Promise<string> {
    const { stdout } = await execFileAsync(path.join(REPO_ROOT, 'scripts', 'alertmanager.sh'), ['build'], { timeout: 900_000 });
    return stdout.trim().split('\n').pop()!;
  }

  async start(): Promise<void> {
    const binary = await AlertmanagerProcess.binary();
    mkdirSync(path.join(this.dir, 'data'), { recursive: true });
    const config = path.join(this.dir, 'alertmanager.yml');
    writeFileSync(
      config,
      [
        'route:',
        '  receiver: security',
        `  group_by: [${this.groupBy.map((label) => JSON.stringify(label)).join(', ')}]`,
        '  group_wait: 1s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: security',
        '',
      ].join('\n'),
    );
    const webArgs: string[] = [];
    if (this.security) {
      const webConfig = path.join(this.dir, 'web.yml');
      const { certFile, keyFile, username, passwordHash } = this.security;
      writeFileSync(webConfig, `tls_server_config:\n  cert_file: ${certFile}\n  key_file: ${keyFile}\nbasic_auth_users:\n  ${username}: ${passwordHash}\n`);
      webArgs.push(`--web.config.file=${webConfig}`);
    }
    const child = spawn(binary, [...webArgs, `--config.file=${config}`, `--storage.path=${path.join(this.dir, 'data')}`, `--web.listen-address=127.0.0.1:${this.port}`, '--cluster.listen-address=', '--log.level=warn'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.log += chunk.toString('utf8')));
    running.add(child);
    child.on('exit', () => running.delete(child));
    this.child = child;
    await waitUntil(async () => {
      if (child.exitCode !== null) throw new Error(`alertmanager exited during start-up:\n${this.log}`);
      return (await this.get('/-/ready').catch(() => undefined))?.status === 200;
    }, 60_000, 'alertmanager ready');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  /** Active (firing, unsilenced) alerts, as the API lists them. */
  async alerts(): Promise<ApiAlert[]> {
    return JSON.parse((await this.get('/api/v2/alerts')).body) as ApiAlert[];
  }

  async groups(): Promise<ApiAlertGroup[]> {
    return JSON.parse((await this.get('/api/v2/alerts/groups')).body) as ApiAlertGroup[];
  }

  /** A GET through Alertmanager's TLS and basic auth when it has them. */
  private async get(pathname: string): Promise<{ status: number; body: string }> {
    if (!this.security) {
      const response = await fetch(`${this.url}${pathname}`);
      return { status: response.status, body: await response.text() };
    }
    const { ca, username, password } = this.security;
    return new Promise((resolve, reject) => {
      https
        .get(`${this.url}${pathname}`, { ca, auth: `${username}:${password}` }, (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });
  }
}
