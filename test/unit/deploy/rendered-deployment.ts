import type { K8sObject } from './k8s-check.js';

/** The parts of a rendered overlay the tests look at, found by kind. */
export interface RenderedDeployment {
  objects: K8sObject[];
  /** Kustomize renders the Namespace; a Helm release is installed into one that exists. */
  namespace?: K8sObject;
  serviceAccount: K8sObject & { automountServiceAccountToken?: boolean };
  configMap: K8sObject & { data: Record<string, string> };
  daemonSet: K8sObject & { spec: DaemonSetSpec };
  networkPolicy: K8sObject & { spec: NetworkPolicySpec };
  pod: PodSpec;
  container: Container;
  /** The ConfigMap's KAF_* settings, the agent's configuration. */
  settings: Record<string, string>;
}

export interface DaemonSetSpec {
  selector: { matchLabels: Record<string, string> };
  updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } };
  template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
}

export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  priorityClassName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] } } };
  tolerations?: Array<{ key?: string; operator?: string; effect?: string; value?: string }>;
  terminationGracePeriodSeconds?: number;
  securityContext?: SecurityContext;
  containers: Container[];
  volumes?: Volume[];
}

export interface NodeSelectorTerm {
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  failureThreshold?: number;
  timeoutSeconds?: number;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: SecurityContext;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}

export interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
  secret?: { secretName: string; defaultMode?: number; items?: Array<{ key: string; path: string; mode?: number }> };
  projected?: {
    defaultMode?: number;
    sources: Array<{ secret?: { name: string; items?: Array<{ key: string; path: string; mode?: number }> }; [other: string]: unknown }>;
  };
}

export interface NetworkPolicyPort {
  port?: number | string;
  protocol?: string;
}

export interface NetworkPolicySpec {
  podSelector: { matchLabels?: Record<string, string> };
  policyTypes?: string[];
  ingress?: Array<{ from?: unknown[]; ports?: NetworkPolicyPort[] }>;
  egress?: Array<{ to?: unknown[]; ports?: NetworkPolicyPort[] }>;
}

function single<T extends K8sObject>(objects: K8sObject[], kind: string): T {
  const found = objects.filter((object) => object.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0] as T;
}

export function describeDeployment(objects: K8sObject[]): RenderedDeployment {
  const daemonSet = single<RenderedDeployment['daemonSet']>(objects, 'DaemonSet');
  const configMap = single<RenderedDeployment['configMap']>(objects, 'ConfigMap');
  const pod = daemonSet.spec.template.spec;
  if (pod.containers.length !== 1) throw new Error(`expected one container, found ${pod.containers.length}`);
  return {
    objects,
    namespace: objects.find((object) => object.kind === 'Namespace'),
    serviceAccount: single(objects, 'ServiceAccount'),
    configMap,
    daemonSet,
    networkPolicy: single(objects, 'NetworkPolicy'),
    pod,
    container: pod.containers[0]!,
    settings: configMap.data,
  };
}

/** Kubernetes quantities for memory (`256Mi`, `1Gi`, `268435456`) in MiB. */
export function memoryMiB(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!match) throw new Error(`unsupported memory quantity ${quantity}`);
  const factor = { Ki: 1 / 1024, Mi: 1, Gi: 1024 }[match[2] as 'Ki' | 'Mi' | 'Gi'] ?? 1 / 1024 ** 2;
  return Number(match[1]) * factor;
}
