import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { envName } from '../../../src/config-values.js';
import { validateAgainstSchema } from './k8s-schema.js';
import { memoryMiB, type RenderedDeployment } from './rendered-deployment.js';
import { REPO_ROOT } from './repo-root.js';

const CLI = path.join(REPO_ROOT, 'dist/src/cli.js');

/** What one rendering of the agent (a kustomize overlay, a Helm values set) must look like. */
export interface DeploymentExpectation {
  sink: string;
  /** Ports the agent must reach for its sink, read from the settings. */
  sinkPorts(settings: Record<string, string>): number[];
  /** Kinds of every rendered object, sorted. */
  kinds: string[];
}

/** Ports of a `host:port,host:port` list; entries without a port take the default. */
export const portsOf = (list: string | undefined, defaultPort?: number): number[] =>
  (list ?? '')
    .split(',')
    .filter((entry) => entry.trim().length > 0)
    .map((entry) => Number(/:(\d+)$/.exec(entry.trim())?.[1] ?? defaultPort));

let flags: Promise<Set<string>> | undefined;
/** Every `--flag` of `kube-audit-forwarder run`, as its own --help lists them. */
export function runFlags(): Promise<Set<string>> {
  flags ??= promisify(execFile)(process.execPath, [CLI, 'run', '--help']).then(
    ({ stdout }) => new Set([...stdout.matchAll(/^\s+--([a-z0-9-]+)/gm)].map((match) => match[1]!)),
  );
  return flags;
}

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|SHARED_KEY|PRIVATE|_KEY$/;
/** Settings naming a file with a credential: a password, a shared key, a TLS key, cert or CA. */
const CREDENTIAL_FILE = /_(PASSWORD|SHARED_KEY|TOKEN|SECRET|KEY|CERT|CA)_FILE$/;
const CONTROL_PLANE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];

/** The Secret a credential volume takes its files from: a Secret volume, or a projection of Secrets only. */
function secretFiles(deployment: RenderedDeployment, volumeName: string): { defaultMode?: number } | undefined {
  const volume = deployment.pod.volumes!.find((v) => v.name === volumeName);
  if (volume?.secret) return volume.secret;
  if (volume?.projected && volume.projected.sources.every((source) => source.secret && Object.keys(source).length === 1)) {
    return volume.projected;
  }
  return undefined;
}

/**
 * The checks every way of deploying the agent must pass, as mocha `it`s on the deployment
 * `current()` gives once the surrounding `before` has rendered it.
 */
export function itPassesTheDaemonSetChecklist(current: () => RenderedDeployment, expectation: DeploymentExpectation): void {
  it('decodes strictly (no unknown fields) and validates against the Kubernetes schema', async () => {
    for (const object of current().objects) await validateAgainstSchema(object);
  });

  it(`holds only ${expectation.kinds.join(', ')}: no RBAC, no Secret`, () => {
    const deployment = current();
    assert.deepEqual(deployment.objects.map((object) => object.kind).sort(), expectation.kinds);
    const namespace = deployment.namespace?.metadata.name ?? deployment.daemonSet.metadata.namespace;
    for (const object of deployment.objects.filter((o) => o.kind !== 'Namespace')) {
      assert.equal(object.metadata.namespace, namespace, `${object.kind} namespace`);
    }
  });

  it('mounts no service account token', () => {
    const { serviceAccount, pod } = current();
    assert.equal(serviceAccount.automountServiceAccountToken, false);
    assert.equal(pod.serviceAccountName, serviceAccount.metadata.name);
    assert.equal(pod.automountServiceAccountToken, false);
  });

  it('runs only where a control-plane label exists (any value), tolerating both control-plane taints, at system-node-critical priority', () => {
    const { pod } = current();
    assert.equal(pod.nodeSelector, undefined, 'no nodeSelector: k3s and RKE2 label "true", kubeadm ""');
    const terms = pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    assert.deepEqual(
      terms,
      CONTROL_PLANE_LABELS.map((key) => ({ matchExpressions: [{ key, operator: 'Exists' }] })),
    );
    for (const key of CONTROL_PLANE_LABELS) {
      assert.ok(
        pod.tolerations?.some((t) => t.key === key && t.operator === 'Exists' && t.effect === 'NoSchedule'),
        `tolerates ${key}:NoSchedule`,
      );
    }
    assert.equal(pod.priorityClassName, 'system-node-critical');
  });

  it('rolls out one node at a time and gives the drain at least 10 s more than the shutdown timeout', () => {
    const deployment = current();
    assert.deepEqual(deployment.daemonSet.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
    const drainMs = Number(deployment.settings.KAF_SHUTDOWN_TIMEOUT_MS);
    assert.ok(drainMs > 0, 'KAF_SHUTDOWN_TIMEOUT_MS is set');
    assert.ok(deployment.pod.terminationGracePeriodSeconds! * 1000 >= drainMs + 10_000);
  });

  it('reads the audit log from a read-only hostPath and keeps checkpoints on a DirectoryOrCreate hostPath', () => {
    const { container, pod, settings } = current();
    const mountHolding = (file: string) =>
      container.volumeMounts!.find((mount) => file === mount.mountPath || file.startsWith(`${mount.mountPath}/`));
    const volume = (name: string) => pod.volumes!.find((v) => v.name === name)!;

    const logMount = mountHolding(settings.KAF_PATH!);
    assert.ok(logMount, `a volume holds KAF_PATH ${settings.KAF_PATH}`);
    assert.equal(logMount.readOnly, true);
    assert.equal(volume(logMount.name).hostPath?.path, logMount.mountPath);

    const checkpointMount = mountHolding(settings.KAF_CHECKPOINT_DIR!);
    assert.equal(checkpointMount?.mountPath, '/var/lib/kube-audit-forwarder');
    assert.notEqual(checkpointMount.readOnly, true);
    assert.deepEqual(volume(checkpointMount.name).hostPath, { path: '/var/lib/kube-audit-forwarder', type: 'DirectoryOrCreate' });
  });

  it('runs as UID 0 with every capability dropped, no escalation, a read-only root filesystem and RuntimeDefault seccomp', () => {
    const { pod, container } = current();
    assert.equal(pod.securityContext?.runAsUser, 0);
    assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    assert.notEqual(container.securityContext?.seccompProfile?.type, 'Unconfined');
    assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
    assert.equal(container.securityContext?.privileged, false);
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    assert.deepEqual(container.securityContext?.capabilities, { drop: ['ALL'] });
  });

  it('probes /healthz (startup, liveness) and /readyz (readiness) on the port the agent serves', () => {
    const { container, settings } = current();
    const httpPort = container.ports!.find((port) => port.name === 'http');
    assert.equal(httpPort?.containerPort, Number(settings.KAF_HTTP_PORT));
    assert.equal(settings.KAF_HTTP_HOST, '0.0.0.0', 'the kubelet probes the pod IP');
    assert.deepEqual(container.startupProbe?.httpGet, { path: '/healthz', port: 'http' });
    assert.deepEqual(container.livenessProbe?.httpGet, { path: '/healthz', port: 'http' });
    assert.deepEqual(container.readinessProbe?.httpGet, { path: '/readyz', port: 'http' });
  });

  it('sets requests and limits, and caps the V8 heap inside the memory limit with room for in-flight bytes', () => {
    const deployment = current();
    const { resources, env } = deployment.container;
    for (const kind of ['requests', 'limits'] as const) {
      assert.ok(resources?.[kind]?.cpu, `${kind}.cpu`);
      assert.ok(resources?.[kind]?.memory, `${kind}.memory`);
    }
    const nodeOptions = env?.find((variable) => variable.name === 'NODE_OPTIONS')?.value ?? '';
    const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(nodeOptions)?.[1]);
    const limitMiB = memoryMiB(resources!.limits!.memory!);
    assert.ok(heapMiB >= limitMiB * 0.5 && heapMiB <= limitMiB * 0.75, `heap ${heapMiB} MiB for a ${limitMiB} MiB limit`);
    // Every in-flight byte is also held parsed on the heap, several times its size.
    const inflightMiB = memoryMiB(deployment.settings.KAF_MAX_INFLIGHT_BYTES!.replace(/iB$/, 'i'));
    assert.ok(heapMiB >= 4 * inflightMiB, `heap ${heapMiB} MiB for ${inflightMiB} MiB in flight`);
  });

  it('passes the node name from the Downward API, defined before any $(NODE_NAME) use so the kubelet expands it', () => {
    const env = current().container.env ?? [];
    const nodeName = env.findIndex((variable) => variable.name === 'NODE_NAME');
    assert.deepEqual(env[nodeName]?.valueFrom, { fieldRef: { fieldPath: 'spec.nodeName' } });
    env.forEach((variable, index) => {
      for (const [, referenced] of (variable.value ?? '').matchAll(/\$\(([A-Z_]+)\)/g)) {
        const definedAt = env.findIndex((other) => other.name === referenced);
        assert.ok(definedAt >= 0 && definedAt < index, `${variable.name} uses $(${referenced}) defined before it`);
      }
    });
  });

  it('pins the image by a release tag (or a digest), never latest', () => {
    const { container } = current();
    assert.match(container.image, /^[a-z0-9.-]+(\/[a-z0-9._-]+)+(:\d+\.\d+\.\d+|@sha256:[0-9a-f]{64})$/);
    assert.equal(container.imagePullPolicy, 'IfNotPresent');
  });

  it(`configures the agent only through KAF_* settings its CLI knows, selecting --sink ${expectation.sink}`, async () => {
    const { container, configMap, settings } = current();
    const known = await runFlags();
    assert.deepEqual(container.envFrom, [{ configMapRef: { name: configMap.metadata.name } }]);
    assert.equal(settings.KAF_SINK, expectation.sink);
    const envNames = [...Object.keys(settings), ...(container.env ?? []).map((variable) => variable.name)];
    for (const name of envNames.filter((n) => n.startsWith('KAF_'))) {
      assert.ok([...known].some((flag) => envName(flag) === name), `${name} is the variable of a run flag`);
    }
  });

  it('keeps secrets out of the manifests: secret settings are files on Secret volumes, root-only and read-only', () => {
    const deployment = current();
    const { container, settings } = deployment;
    for (const name of Object.keys(settings)) {
      if (SECRET_NAME.test(name)) assert.match(name, /_FILE$/, `${name} in a ConfigMap must name a file, not hold a secret`);
    }
    for (const variable of container.env ?? []) {
      if (SECRET_NAME.test(variable.name) && !variable.name.endsWith('_FILE')) {
        assert.ok(variable.valueFrom?.secretKeyRef, `${variable.name} comes from a secretKeyRef`);
      }
    }
    const credentialFiles = Object.entries(settings).filter(([name]) => CREDENTIAL_FILE.test(name));
    for (const [name, file] of credentialFiles) {
      const mount = container.volumeMounts!.find((m) => file.startsWith(`${m.mountPath}/`));
      assert.ok(mount, `${name} (${file}) lies on a mounted volume`);
      assert.equal(mount.readOnly, true, `${mount.name} is mounted read-only`);
      const secret = secretFiles(deployment, mount.name);
      assert.ok(secret, `${mount.name} is a Secret volume`);
      assert.equal(secret.defaultMode, 0o400, `${mount.name} files are readable by root only`);
    }
  });

  it('lets in only the metrics port and lets out only DNS and the sink ports', () => {
    const { networkPolicy, daemonSet, settings } = current();
    const { spec } = networkPolicy;
    assert.deepEqual(spec.podSelector.matchLabels, daemonSet.spec.selector.matchLabels);
    assert.deepEqual([...(spec.policyTypes ?? [])].sort(), ['Egress', 'Ingress']);
    const ingressPorts = (spec.ingress ?? []).flatMap((rule) => rule.ports ?? [{ port: 'every port' }]);
    assert.deepEqual(ingressPorts, [{ port: 'http', protocol: 'TCP' }]);
    const egress = (spec.egress ?? []).flatMap((rule) => {
      assert.ok(rule.ports && rule.ports.length > 0, 'every egress rule names its ports');
      return rule.ports.map((port) => `${port.protocol}/${port.port}`);
    });
    const sinkPorts = expectation.sinkPorts(settings);
    const expected = ['UDP/53', 'TCP/53', ...sinkPorts.map((port) => `TCP/${port}`)];
    assert.deepEqual([...new Set(egress)].sort(), [...new Set(expected)].sort());
  });
}
