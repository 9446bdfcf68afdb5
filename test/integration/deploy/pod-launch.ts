import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { RenderedDeployment } from '../../unit/deploy/rendered-deployment.js';
import type { AssembledImage } from './image-assembly.js';

/** Where the test keeps what the kubelet would mount, by volume name. */
export type HostVolumes = Record<string, string>;

export interface PodLaunch {
  argv: string[];
  env: Record<string, string>;
  /** Host directories mounted read-only for the agent (read-only volumes, the image root). */
  readOnly: string[];
}

/**
 * The process the kubelet would start for the DaemonSet's container, on this host: the image's
 * ENTRYPOINT/CMD (or the container's command/args), the image ENV, then the ConfigMap (envFrom),
 * then `env` in order with the Downward API and `$(VAR)` expanded as the kubelet does. Container
 * paths become host paths by the volume mounts; `overrides` are applied last (test addresses).
 */
export function podLaunch(
  deployment: RenderedDeployment,
  image: AssembledImage,
  volumes: HostVolumes,
  options: { nodeName: string; overrides: Record<string, string> },
): PodLaunch {
  const { container } = deployment;
  const mounts = (container.volumeMounts ?? []).map((mount) => {
    const hostDir = volumes[mount.name];
    if (!hostDir) throw new Error(`no host directory for volume ${mount.name}`);
    return { ...mount, hostDir };
  });
  const toHost = (value: string): string => {
    const mount = mounts.find((m) => value === m.mountPath || value.startsWith(`${m.mountPath}/`));
    if (mount) return mount.hostDir + value.slice(mount.mountPath.length);
    return value.startsWith('/app/') ? image.hostPath(value) : value;
  };

  // The distroless base image sets PATH; the host's stands in for it.
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", ...image.env };
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef?.name !== deployment.configMap.metadata.name) throw new Error(`envFrom ${JSON.stringify(source)} is not the rendered ConfigMap`);
    Object.assign(env, deployment.configMap.data);
  }
  for (const variable of container.env ?? []) {
    if (variable.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName') env[variable.name] = options.nodeName;
    else if (variable.value !== undefined) env[variable.name] = variable.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
    else throw new Error(`env ${variable.name}: only values and spec.nodeName are resolved here`);
  }
  for (const [name, value] of Object.entries(env)) env[name] = toHost(value);
  Object.assign(env, options.overrides);

  const [executable, ...args] = container.command
    ? [...container.command, ...(container.args ?? [])]
    : [...image.entrypoint, ...(container.args ?? image.cmd)];
  if (executable !== '/nodejs/bin/node') throw new Error(`unexpected executable ${executable}`);
  return {
    argv: [process.execPath, ...args.map(toHost)],
    env,
    readOnly: [...mounts.filter((m) => m.readOnly).map((m) => m.hostDir), image.root],
  };
}

/**
 * Runs the launch in a private mount namespace where the read-only directories are bind-mounted
 * read-only, as the kubelet mounts them (root ignores file modes, so only a mount proves the
 * agent never writes there). The agent's JSON log lines (stderr) are kept.
 */
export class PodProcess {
  readonly logs: Array<Record<string, unknown>> = [];
  stdout = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private stderrRest = '';

  constructor(launch: PodLaunch) {
    const script = 'set -e; while [ "$1" != -- ]; do mount --bind -o ro "$1" "$1"; shift; done; shift; exec "$@"';
    this.child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', ...launch.readOnly, '--', ...launch.argv], {
      env: launch.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString('utf8');
    });
    this.child.stderr!.on('data', (chunk: Buffer) => this.onStderr(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves with the exit code; rejects after timeoutMs. */
  async waitForExit(timeoutMs: number): Promise<number | null> {
    return withTimeout(this.exited, timeoutMs, () => `the agent did not exit within ${timeoutMs} ms:\n${this.logTail()}`);
  }

  /** Polls the kept log lines until one matches; fails early if the agent exits. */
  async waitForLog(message: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const found = (async () => {
      for (;;) {
        const entry = this.logs.find((line) => line.message === message);
        if (entry) return entry;
        const exit = await Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, 20, 'running'))]);
        if (exit !== 'running') throw new Error(`the agent exited (${String(exit)}) before logging "${message}":\n${this.logTail()}`);
      }
    })();
    return withTimeout(found, timeoutMs, () => `no "${message}" log line within ${timeoutMs} ms:\n${this.logTail()}`);
  }

  /** The mount table the agent process sees, for proving what is read-only to it. */
  mountInfo(): Promise<string> {
    return readFile(`/proc/${this.pid}/mountinfo`, 'utf8');
  }

  logTail(): string {
    return this.logs.slice(-20).map((entry) => JSON.stringify(entry)).join('\n') + this.stderrRest;
  }

  private onStderr(text: string): void {
    const lines = (this.stderrRest + text).split('\n');
    this.stderrRest = lines.pop()!;
    for (const line of lines) {
      try {
        this.logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.logs.push({ message: 'non-JSON stderr', line });
      }
    }
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
