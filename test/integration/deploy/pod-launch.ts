import { readFile } from 'node:fs/promises';
import { AgentProcess } from '../../helpers/agent-process.js';
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
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...image.env };
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
 * Starts the launch in a private mount namespace where the read-only directories are
 * bind-mounted read-only, as the kubelet mounts them (root ignores file modes, so only a mount
 * proves the agent never writes there).
 */
export function startPod(launch: PodLaunch): AgentProcess {
  const script = 'set -e; while [ "$1" != -- ]; do mount --bind -o ro "$1" "$1"; shift; done; shift; exec "$@"';
  return new AgentProcess([], launch.env, {
    launcher: ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', ...launch.readOnly, '--', ...launch.argv],
  });
}

/** The mount table a process sees, for proving what is read-only to it. */
export function mountInfo(pid: number): Promise<string> {
  return readFile(`/proc/${pid}/mountinfo`, 'utf8');
}
