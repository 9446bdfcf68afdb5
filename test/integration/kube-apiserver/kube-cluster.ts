import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitUntil, withTimeout } from '../../helpers/agent-process.js';
import { REPO_ROOT, freePort } from '../../helpers/forward/server-scripts.js';
import { makeTestCertificates, type TestCertificates } from '../../helpers/test-certificates.js';
import { ApiClient } from './api-client.js';

const execFileAsync = promisify(execFile);

/** Builds (or finds in the cache) kube-apiserver and etcd; returns the directory that holds both. */
export async function kubeBinaries(): Promise<string> {
  const { stdout } = await execFileAsync('bash', [path.join(REPO_ROOT, 'scripts', 'kube-apiserver.sh'), 'build'], {
    cwd: REPO_ROOT,
    timeout: 3_600_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim().split('\n').pop()!;
}

export interface AuditLogSettings {
  /** --audit-log-maxsize, in MB (lumberjack's unit). */
  maxSizeMb: number;
  maxBackups: number;
}

/** Bearer tokens of the token auth file: one user in system:masters, one with no rights at all. */
export const TOKENS = { admin: 'kaf-admin-token', nobody: 'kaf-nobody-token' } as const;

/**
 * A real etcd and kube-apiserver on 127.0.0.1 (free ports, TLS with a throw-away CA, a static
 * token file), writing its audit log through lumberjack with the repository's audit policy, as a
 * control-plane node does.
 */
export class KubeCluster {
  readonly auditDir: string;
  readonly certificates: TestCertificates;
  private etcd?: ChildProcess;
  private apiserver?: ChildProcess;
  private port = 0;
  private readonly logs: Record<'etcd' | 'apiserver', string[]> = { etcd: [], apiserver: [] };

  constructor(
    private readonly binaries: string,
    private readonly root: string,
    private readonly audit: AuditLogSettings,
  ) {
    this.auditDir = path.join(root, 'audit');
    mkdirSync(this.auditDir, { recursive: true });
    this.certificates = makeTestCertificates();
  }

  get auditLogPath(): string {
    return path.join(this.auditDir, 'audit.log');
  }

  /** A client as the given token (none: anonymous). */
  client(token?: string): ApiClient {
    return new ApiClient(`https://127.0.0.1:${this.port}`, this.certificates.ca, token);
  }

  async start(): Promise<void> {
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    this.etcd = this.spawn('etcd', path.join(this.binaries, 'etcd'), [
      '--data-dir', path.join(this.root, 'etcd'),
      '--listen-client-urls', etcdUrl,
      '--advertise-client-urls', etcdUrl,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `default=${peerUrl}`,
      '--log-level', 'warn',
    ]);
    const tokenFile = path.join(this.root, 'tokens.csv');
    writeFileSync(tokenFile, `${TOKENS.admin},kaf-admin,1001,"system:masters"\n${TOKENS.nobody},kaf-nobody,1002\n`);
    this.port = await freePort();
    const { serverCertFile, serverKeyFile, caFile } = this.certificates;
    this.apiserver = this.spawn('apiserver', path.join(this.binaries, 'kube-apiserver'), [
      '--etcd-servers', etcdUrl,
      '--bind-address', '127.0.0.1',
      '--secure-port', String(this.port),
      // A loopback advertise address is refused by the endpoint reconciler; nothing here needs the kubernetes Service.
      '--advertise-address', '127.0.0.1',
      '--endpoint-reconciler-type', 'none',
      '--service-cluster-ip-range', '10.96.0.0/24',
      '--tls-cert-file', serverCertFile,
      '--tls-private-key-file', serverKeyFile,
      '--client-ca-file', caFile,
      '--token-auth-file', tokenFile,
      '--anonymous-auth=true',
      '--authorization-mode', 'RBAC',
      '--service-account-issuer', 'https://kubernetes.default.svc',
      '--service-account-key-file', serverKeyFile,
      '--service-account-signing-key-file', serverKeyFile,
      '--audit-policy-file', path.join(REPO_ROOT, 'manifests', 'audit-policy.yaml'),
      '--audit-log-path', this.auditLogPath,
      '--audit-log-maxsize', String(this.audit.maxSizeMb),
      '--audit-log-maxbackup', String(this.audit.maxBackups),
      '--audit-log-compress',
    ]);
    const admin = this.client(TOKENS.admin);
    await waitUntil(
      async () => (await admin.request('GET', '/readyz').catch(() => undefined))?.status === 200,
      180_000,
      `kube-apiserver ready; its log:\n${this.tail('apiserver')}`,
      250,
    );
  }

  /** SIGTERM to both, the apiserver first: it writes its last audit events and closes the log. */
  async stop(): Promise<void> {
    for (const child of [this.apiserver, this.etcd]) {
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await withTimeout(exited, 60_000, () => `${child === this.etcd ? 'etcd' : 'kube-apiserver'} did not stop on SIGTERM`);
    }
  }

  tail(which: 'etcd' | 'apiserver', lines = 20): string {
    return this.logs[which].join('').split('\n').slice(-lines).join('\n');
  }

  private spawn(name: 'etcd' | 'apiserver', binary: string, args: string[]): ChildProcess {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      const log = this.logs[name];
      log.push(chunk.toString('utf8'));
      if (log.length > 200) log.splice(0, log.length - 200);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    // A failed test must not leave a control plane behind.
    process.once('exit', () => child.kill('SIGKILL'));
    return child;
  }
}
