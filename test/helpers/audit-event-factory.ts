import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { SeededRandom } from './seeded-random.js';

/**
 * A seeded generator of kube-apiserver audit log lines (`audit.k8s.io/v1` Event JSON, no newline),
 * shaped like what a busy control plane writes: lease renewals, kubelet gets, controller lists and
 * watches, kubectl writes, the odd exec, 403 or anonymous probe, and now and then a
 * RequestResponse event carrying a list of 100 KB or more.
 *
 * Same seed → same lines, byte for byte (a virtual clock supplies the timestamps, so wall time
 * never leaks in). Every `(auditID, stage)` pair is unique; the stages of one request share its
 * auditID and come out interleaved with other requests, as they do from a real server.
 */
export interface AuditEventFactoryOptions {
  readonly seed: number;
  /** Virtual time of the first request, epoch ms. Default 2026-01-01T00:00:00Z. */
  readonly startTimeMs?: number;
  /** Share of requests also logged at stage RequestReceived (policies often omit it). Default 0.25. */
  readonly requestReceivedFraction?: number;
  /** Share of get/list/create requests logged at level RequestResponse with a body. Default 0.03. */
  readonly requestResponseFraction?: number;
  /** Share of RequestResponse lists that are large (roughly 30–170 KB). Default 0.3. */
  readonly largeListFraction?: number;
  /** Real event lines (see readRealAuditLines) to mix in, with their auditIDs rewritten. */
  readonly realLines?: readonly string[];
  /** Share of lines drawn from realLines when given. Default 0.05. */
  readonly realLineFraction?: number;
}

interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

interface Actor {
  readonly user: UserInfo;
  readonly userAgent: string;
  readonly sourceIP: string;
}

interface ResourceKind {
  readonly resource: string;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

type Stage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete';
type Level = 'Metadata' | 'Request' | 'RequestResponse';

/** One API request; each of its stages becomes one line. */
interface Request {
  readonly auditID: string;
  readonly level: Level;
  readonly verb: string;
  readonly requestURI: string;
  readonly actor: Actor;
  readonly objectRef?: Record<string, string>;
  readonly code: number;
  readonly status?: Record<string, unknown>;
  readonly requestObject?: unknown;
  readonly responseObject?: unknown;
  readonly annotations: Record<string, string>;
  readonly receivedMicros: number;
}

interface PendingStage {
  readonly request: Request;
  readonly stage: Stage;
  /** Sequence number of the line at or after which this stage may be emitted. */
  readonly dueAt: number;
}

const K8S_VERSION = 'v1.31.2';
const K8S_COMMIT = '5864a4677267e6adeae276ad85882a8714d69d9d';

const NAMESPACES = ['default', 'kube-system', 'payments', 'checkout', 'monitoring', 'ingress-nginx', 'cert-manager'];
const NODES = ['cp-1', 'cp-2', 'cp-3', 'worker-1', 'worker-2', 'worker-3', 'worker-4', 'worker-5'];
const APPS = ['api', 'web', 'worker', 'redis', 'postgres', 'prometheus', 'nginx', 'cert-manager-webhook'];

const RESOURCES: readonly (readonly [ResourceKind, number])[] = [
  [{ resource: 'pods', group: '', version: 'v1', kind: 'Pod', namespaced: true }, 30],
  [{ resource: 'configmaps', group: '', version: 'v1', kind: 'ConfigMap', namespaced: true }, 14],
  [{ resource: 'secrets', group: '', version: 'v1', kind: 'Secret', namespaced: true }, 10],
  [{ resource: 'services', group: '', version: 'v1', kind: 'Service', namespaced: true }, 6],
  [{ resource: 'endpointslices', group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', namespaced: true }, 6],
  [{ resource: 'events', group: '', version: 'v1', kind: 'Event', namespaced: true }, 6],
  [{ resource: 'nodes', group: '', version: 'v1', kind: 'Node', namespaced: false }, 8],
  [{ resource: 'namespaces', group: '', version: 'v1', kind: 'Namespace', namespaced: false }, 2],
  [{ resource: 'deployments', group: 'apps', version: 'v1', kind: 'Deployment', namespaced: true }, 6],
  [{ resource: 'replicasets', group: 'apps', version: 'v1', kind: 'ReplicaSet', namespaced: true }, 4],
  [{ resource: 'serviceaccounts', group: '', version: 'v1', kind: 'ServiceAccount', namespaced: true }, 3],
  [{ resource: 'rolebindings', group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', namespaced: true }, 2],
  [{ resource: 'clusterroles', group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', namespaced: false }, 2],
  [{ resource: 'customresourcedefinitions', group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', namespaced: false }, 1],
];

const LEASE: ResourceKind = { resource: 'leases', group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', namespaced: true };
const POD = RESOURCES[0]![0];

type RequestShape = 'lease' | 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'nonResource' | 'exec' | 'anonymous' | 'token';

const REQUEST_MIX: readonly (readonly [RequestShape, number])[] = [
  ['lease', 20],
  ['get', 24],
  ['list', 11],
  ['watch', 6],
  ['create', 8],
  ['update', 8],
  ['patch', 8],
  ['delete', 4],
  ['nonResource', 6],
  ['exec', 1],
  ['anonymous', 1],
  ['token', 3],
];

export class AuditEventFactory {
  private readonly random: SeededRandom;
  private readonly requestReceivedFraction: number;
  private readonly requestResponseFraction: number;
  private readonly largeListFraction: number;
  private readonly realLines: readonly string[];
  private readonly realLineFraction: number;
  private readonly pending: PendingStage[] = [];
  private nowMicros: number;
  private sequence = 0;
  private resourceVersion = 48_211_907;

  constructor(options: AuditEventFactoryOptions) {
    this.random = new SeededRandom(options.seed);
    this.nowMicros = (options.startTimeMs ?? Date.UTC(2026, 0, 1)) * 1000;
    this.requestReceivedFraction = options.requestReceivedFraction ?? 0.25;
    this.requestResponseFraction = options.requestResponseFraction ?? 0.03;
    this.largeListFraction = options.largeListFraction ?? 0.3;
    this.realLines = options.realLines ?? [];
    this.realLineFraction = this.realLines.length > 0 ? (options.realLineFraction ?? 0.05) : 0;
  }

  /** The next audit log line, without its trailing newline. */
  nextLine(): string {
    this.sequence++;
    this.nowMicros += this.random.int(40, 1500);
    const due = this.takeDueStage();
    if (due) return this.render(due.request, due.stage);
    if (this.realLineFraction > 0 && this.random.chance(this.realLineFraction)) return this.realLine();
    return this.startRequest();
  }

  lines(count: number): string[] {
    const lines: string[] = new Array(count);
    for (let i = 0; i < count; i++) lines[i] = this.nextLine();
    return lines;
  }

  private takeDueStage(): PendingStage | undefined {
    let best = -1;
    for (let i = 0; i < this.pending.length; i++) {
      if (this.pending[i]!.dueAt <= this.sequence && (best < 0 || this.pending[i]!.dueAt < this.pending[best]!.dueAt)) best = i;
    }
    return best < 0 ? undefined : this.pending.splice(best, 1)[0];
  }

  private realLine(): string {
    const line = this.random.pick(this.realLines);
    return line.replace(/"auditID":"[^"]*"/, `"auditID":"${this.random.uuid()}"`);
  }

  private startRequest(): string {
    const shape = this.random.weighted(REQUEST_MIX);
    const request = this.buildRequest(shape);
    const stages: Stage[] = [];
    if (this.random.chance(this.requestReceivedFraction)) stages.push('RequestReceived');
    if (shape === 'watch' || shape === 'exec') stages.push('ResponseStarted');
    stages.push('ResponseComplete');
    // Long-running requests finish many lines later; short ones within a few lines.
    const spread = shape === 'watch' || shape === 'exec' ? 400 : 6;
    let dueAt = this.sequence;
    for (const stage of stages.slice(1)) {
      dueAt += this.random.int(1, spread);
      this.pending.push({ request, stage, dueAt });
    }
    return this.render(request, stages[0]!);
  }

  private render(request: Request, stage: Stage): string {
    const event: Record<string, unknown> = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: request.level,
      auditID: request.auditID,
      stage,
      requestURI: request.requestURI,
      verb: request.verb,
      user: request.actor.user,
      sourceIPs: [request.actor.sourceIP],
      userAgent: request.actor.userAgent,
    };
    if (request.objectRef) event.objectRef = request.objectRef;
    if (stage !== 'RequestReceived') {
      event.responseStatus = request.status ?? { metadata: {}, code: request.code };
      if (request.requestObject !== undefined && request.level !== 'Metadata') event.requestObject = request.requestObject;
      if (stage === 'ResponseComplete' && request.responseObject !== undefined) event.responseObject = request.responseObject;
    }
    event.requestReceivedTimestamp = microTime(request.receivedMicros);
    event.stageTimestamp = microTime(stage === 'RequestReceived' ? request.receivedMicros : this.nowMicros);
    if (stage !== 'RequestReceived') {
      event.annotations = stage === 'ResponseComplete' ? { ...request.annotations, ...this.latencyAnnotations(request) } : request.annotations;
    }
    return goJson(event);
  }

  private buildRequest(shape: RequestShape): Request {
    switch (shape) {
      case 'lease':
        return this.leaseRenewal();
      case 'nonResource':
        return this.nonResource(this.randomActor(), 200);
      case 'anonymous':
        return this.nonResource(anonymousActor(this.random), this.random.pick([401, 403]));
      case 'exec':
        return this.exec();
      case 'token':
        return this.tokenRequest();
      default:
        return this.resourceRequest(shape);
    }
  }

  private base(actor: Actor, verb: string, requestURI: string, code: number, level: Level = 'Metadata') {
    return {
      auditID: this.random.uuid(),
      level,
      verb,
      requestURI,
      actor,
      code,
      // Received a little before it is first logged; one request in ten is slow.
      receivedMicros: this.nowMicros - this.random.int(150, 3000) * (this.random.chance(0.1) ? 10 : 1),
      annotations: this.authorizationAnnotations(actor, verb, code),
    };
  }

  private leaseRenewal(): Request {
    const node = this.random.pick(NODES);
    const controller = this.random.chance(0.5);
    const namespace = controller ? 'kube-system' : 'kube-node-lease';
    const name = controller ? this.random.pick(['kube-controller-manager', 'kube-scheduler']) : node;
    const actor = controller ? componentActor(name, node) : kubeletActor(node);
    const uri = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}?timeout=5s`;
    const level: Level = this.random.chance(0.2) ? 'Request' : 'Metadata';
    return {
      ...this.base(actor, 'update', uri, 200, level),
      objectRef: objectRef(LEASE, namespace, name, { uid: this.random.uuid(), resourceVersion: this.nextResourceVersion() }),
      requestObject: level === 'Request' ? this.lease(namespace, name) : undefined,
    };
  }

  private nonResource(actor: Actor, code: number): Request {
    const path = this.random.pick(['/healthz', '/readyz', '/livez', '/version', '/api', '/apis', '/openapi/v2', '/readyz?verbose']);
    const request = this.base(actor, 'get', path, code);
    return code === 200 ? request : { ...request, status: failureStatus(code, `forbidden: User "${actor.user.username}" cannot get path "${path}"`) };
  }

  private exec(): Request {
    const namespace = this.random.pick(NAMESPACES);
    const pod = this.podName();
    const uri = `/api/v1/namespaces/${namespace}/pods/${pod}/exec?command=%2Fbin%2Fsh&command=-c&command=id&container=app&stdin=true&stdout=true&tty=true`;
    return {
      ...this.base(humanActor(this.random), 'create', uri, 101, 'Request'),
      objectRef: objectRef(POD, namespace, pod, { subresource: 'exec' }),
    };
  }

  private tokenRequest(): Request {
    const node = this.random.pick(NODES);
    const namespace = this.random.pick(NAMESPACES);
    const sa = this.random.pick(['default', 'prometheus', 'cert-manager', 'ingress-nginx']);
    const uri = `/api/v1/namespaces/${namespace}/serviceaccounts/${sa}/token`;
    return {
      ...this.base(kubeletActor(node), 'create', uri, 201),
      objectRef: objectRef({ resource: 'serviceaccounts', group: '', version: 'v1', kind: 'ServiceAccount', namespaced: true }, namespace, sa, {
        subresource: 'token',
      }),
    };
  }

  private resourceRequest(verb: Exclude<RequestShape, 'lease' | 'nonResource' | 'anonymous' | 'exec' | 'token'>): Request {
    const kind = this.random.weighted(RESOURCES);
    const namespace = kind.namespaced ? this.random.pick(NAMESPACES) : undefined;
    const collection = verb === 'list' || verb === 'watch' || verb === 'create';
    const name = collection ? undefined : this.nameFor(kind);
    const actor = verb === 'get' || verb === 'list' || verb === 'watch' ? this.randomActor() : this.writerActor();
    const code = this.codeFor(verb);
    const level = this.levelFor(kind, verb);
    const uri = resourceUri(kind, namespace, name) + this.queryFor(verb, actor);
    const status = code >= 400 ? failureStatus(code, `${kind.resource} "${name ?? ''}" ${failureReasonText(code)}`) : undefined;
    const created = verb === 'create' ? this.objectOf(kind, namespace) : undefined;
    const refName = name ?? (created ? (created.metadata as { name: string }).name : undefined);
    const extra: Record<string, string> = {};
    if (verb === 'patch' && this.random.chance(0.4)) extra.subresource = 'status';
    if (verb !== 'list' && verb !== 'watch' && code < 400) extra.uid = this.random.uuid();
    return {
      ...this.base(actor, verb, uri, code, level),
      objectRef: objectRef(kind, namespace, refName, extra),
      status,
      requestObject: this.requestBodyFor(verb, kind, namespace, name, created),
      responseObject: level === 'RequestResponse' && code < 400 ? this.responseBodyFor(verb, kind, namespace, created) : undefined,
      annotations: {
        ...this.authorizationAnnotations(actor, verb, code),
        ...(kind === POD && verb === 'create' ? { 'pod-security.kubernetes.io/enforce-policy': 'baseline:latest' } : {}),
      },
    };
  }

  private levelFor(kind: ResourceKind, verb: string): Level {
    if (kind.resource === 'secrets' || kind.resource === 'configmaps' && verb === 'get') return 'Metadata';
    const readOrCreate = verb === 'get' || verb === 'list' || verb === 'create';
    if (readOrCreate && this.random.chance(this.requestResponseFraction)) return 'RequestResponse';
    if ((verb === 'create' || verb === 'update' || verb === 'patch') && this.random.chance(0.35)) return 'Request';
    return 'Metadata';
  }

  private codeFor(verb: string): number {
    const roll = this.random.next();
    if (roll < 0.015) return 403;
    if (verb === 'get' && roll < 0.05) return 404;
    if ((verb === 'create' || verb === 'update') && roll < 0.03) return 409;
    return verb === 'create' ? 201 : 200;
  }

  private queryFor(verb: string, actor: Actor): string {
    switch (verb) {
      case 'list':
        return this.random.chance(0.5) ? '?limit=500&resourceVersion=0' : '';
      case 'watch':
        return `?allowWatchBookmarks=true&resourceVersion=${this.nextResourceVersion()}&timeout=${this.random.int(5, 9)}m${this.random.int(0, 59)}s&timeoutSeconds=${this.random.int(300, 599)}&watch=true`;
      case 'patch':
        return actor.userAgent.startsWith('kubectl') ? '?fieldManager=kubectl-client-side-apply&fieldValidation=Strict' : '';
      case 'create':
      case 'update':
        return actor.userAgent.startsWith('kubectl') ? '?fieldManager=kubectl-client-side-apply&fieldValidation=Strict' : '';
      default:
        return '';
    }
  }

  private requestBodyFor(verb: string, kind: ResourceKind, namespace: string | undefined, name: string | undefined, created: Record<string, unknown> | undefined): unknown {
    if (verb === 'create') return created;
    if (verb === 'update') return this.objectOf(kind, namespace, name);
    if (verb === 'patch') {
      if (this.random.chance(0.2)) return [{ op: 'replace', path: '/spec/replicas', value: this.random.int(1, 12) }];
      return { metadata: { labels: { 'app.kubernetes.io/version': `1.${this.random.int(0, 30)}.${this.random.int(0, 9)}` } } };
    }
    if (verb === 'delete') return { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' };
    return undefined;
  }

  private responseBodyFor(verb: string, kind: ResourceKind, namespace: string | undefined, created: Record<string, unknown> | undefined): unknown {
    if (verb === 'create') return created;
    if (verb === 'get') return this.objectOf(kind, namespace);
    const count = this.random.chance(this.largeListFraction) ? this.random.int(20, 110) : this.random.int(1, 4);
    const items: unknown[] = [];
    for (let i = 0; i < count; i++) items.push(this.objectOf(kind, namespace));
    return { kind: `${kind.kind}List`, apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version, metadata: { resourceVersion: this.nextResourceVersion() }, items };
  }

  private objectOf(kind: ResourceKind, namespace: string | undefined, name?: string): Record<string, unknown> {
    const objectName = name ?? this.nameFor(kind);
    const app = this.random.pick(APPS);
    const metadata: Record<string, unknown> = {
      name: objectName,
      ...(namespace ? { namespace } : {}),
      uid: this.random.uuid(),
      resourceVersion: this.nextResourceVersion(),
      creationTimestamp: secondTime(this.nowMicros - this.random.int(0, 86_400_000_000)),
      labels: { 'app.kubernetes.io/name': app, 'app.kubernetes.io/part-of': 'shop', 'pod-template-hash': this.random.alnum(10) },
      managedFields: [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version,
          time: secondTime(this.nowMicros),
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app.kubernetes.io/name': {} } }, 'f:spec': {} },
        },
      ],
    };
    const object: Record<string, unknown> = { kind: kind.kind, apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version, metadata };
    if (kind === POD) {
      object.spec = {
        containers: [
          {
            name: 'app',
            image: `registry.example.com/shop/${app}:1.${this.random.int(0, 30)}.${this.random.int(0, 9)}`,
            ports: [{ containerPort: 8080, protocol: 'TCP' }],
            resources: { limits: { memory: '512Mi' }, requests: { cpu: '250m', memory: '256Mi' } },
            env: [
              { name: 'LOG_LEVEL', value: 'info' },
              { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
            ],
            volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
            securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
          },
        ],
        nodeName: this.random.pick(NODES),
        serviceAccountName: 'default',
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
      };
      object.status = { phase: 'Running', podIP: `10.244.${this.random.int(0, 7)}.${this.random.int(2, 254)}`, qosClass: 'Burstable' };
    } else if (kind.resource === 'configmaps') {
      object.data = { 'config.yaml': `# ${app} settings\n` + 'feature.flag.enabled: true\n'.repeat(this.random.int(2, 60)) };
    } else if (kind.resource === 'secrets') {
      object.type = 'Opaque';
      object.data = { token: this.random.alnum(40) };
    } else {
      object.spec = { replicas: this.random.int(1, 6), selector: { matchLabels: { 'app.kubernetes.io/name': app } } };
    }
    return object;
  }

  private lease(namespace: string, name: string): Record<string, unknown> {
    return {
      kind: 'Lease',
      apiVersion: 'coordination.k8s.io/v1',
      metadata: { name, namespace, resourceVersion: this.nextResourceVersion() },
      spec: { holderIdentity: `${name}_${this.random.uuid()}`, leaseDurationSeconds: 40, renewTime: microTime(this.nowMicros) },
    };
  }

  private authorizationAnnotations(actor: Actor, verb: string, code: number): Record<string, string> {
    if (code === 401) return {};
    if (code === 403) return { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' };
    const reason = actor.user.groups.includes('system:nodes')
      ? ''
      : `RBAC: allowed by ClusterRoleBinding "${actor.user.username.split(':').pop()}-binding" of ClusterRole "${verb === 'get' ? 'view' : 'edit'}" to User "${actor.user.username}"`;
    return { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': reason };
  }

  private latencyAnnotations(request: Request): Record<string, string> {
    const totalMicros = Math.max(1, this.nowMicros - request.receivedMicros);
    return {
      'apiserver.latency.k8s.io/etcd': formatGoDuration(Math.floor(totalMicros * 0.6)),
      'apiserver.latency.k8s.io/total': formatGoDuration(totalMicros),
    };
  }

  private randomActor(): Actor {
    const roll = this.random.next();
    if (roll < 0.35) return kubeletActor(this.random.pick(NODES));
    if (roll < 0.6) return componentActor(this.random.pick(['kube-controller-manager', 'kube-scheduler']), this.random.pick(NODES.slice(0, 3)));
    if (roll < 0.9) return serviceAccountActor(this.random);
    return humanActor(this.random);
  }

  private writerActor(): Actor {
    const roll = this.random.next();
    if (roll < 0.5) return componentActor('kube-controller-manager', this.random.pick(NODES.slice(0, 3)));
    if (roll < 0.8) return serviceAccountActor(this.random);
    return humanActor(this.random);
  }

  private nameFor(kind: ResourceKind): string {
    if (kind.resource === 'nodes') return this.random.pick(NODES);
    if (kind.resource === 'namespaces') return this.random.pick(NAMESPACES);
    if (kind === POD) return this.podName();
    return `${this.random.pick(APPS)}-${this.random.alnum(5)}`;
  }

  private podName(): string {
    return `${this.random.pick(APPS)}-${this.random.alnum(10)}-${this.random.alnum(5)}`;
  }

  private nextResourceVersion(): string {
    this.resourceVersion += this.random.int(1, 40);
    return String(this.resourceVersion);
  }
}

function componentActor(component: string, node: string): Actor {
  return {
    user: { username: `system:${component}`, groups: ['system:authenticated'] },
    userAgent: `${component}/${K8S_VERSION} (linux/amd64) kubernetes/${K8S_COMMIT.slice(0, 7)}/leader-election`,
    sourceIP: `10.0.0.${NODES.indexOf(node) + 10}`,
  };
}

function kubeletActor(node: string): Actor {
  return {
    user: { username: `system:node:${node}`, groups: ['system:nodes', 'system:authenticated'] },
    userAgent: `kubelet/${K8S_VERSION} (linux/amd64) kubernetes/${K8S_COMMIT.slice(0, 7)}`,
    sourceIP: `10.0.0.${NODES.indexOf(node) + 10}`,
  };
}

function serviceAccountActor(random: SeededRandom): Actor {
  const namespace = random.pick(NAMESPACES);
  const name = random.pick(['default', 'prometheus', 'cert-manager', 'ingress-nginx', 'argocd-application-controller']);
  const node = random.pick(NODES);
  return {
    user: {
      username: `system:serviceaccount:${namespace}:${name}`,
      uid: random.uuid(),
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
      extra: {
        'authentication.kubernetes.io/credential-id': [`JTI=${random.uuid()}`],
        'authentication.kubernetes.io/node-name': [node],
        'authentication.kubernetes.io/node-uid': [random.uuid()],
        'authentication.kubernetes.io/pod-name': [`${name}-${random.alnum(10)}-${random.alnum(5)}`],
        'authentication.kubernetes.io/pod-uid': [random.uuid()],
      },
    },
    userAgent: `${name}/v0.${random.int(10, 40)}.${random.int(0, 9)} (linux/amd64) kubernetes/${K8S_COMMIT.slice(0, 7)}`,
    sourceIP: `10.244.${random.int(0, 7)}.${random.int(2, 254)}`,
  };
}

function humanActor(random: SeededRandom): Actor {
  const admin = random.chance(0.4);
  return {
    user: admin
      ? { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] }
      : {
          username: random.pick(['alice@example.com', 'bob@example.com', 'oncall@example.com']),
          groups: ['platform-team', 'system:authenticated'],
          extra: { 'authentication.kubernetes.io/credential-id': [`X509SHA256=${random.alnum(48)}`] },
        },
    userAgent: `kubectl/${K8S_VERSION} (linux/amd64) kubernetes/${K8S_COMMIT.slice(0, 7)}`,
    sourceIP: `192.168.${random.int(0, 3)}.${random.int(2, 254)}`,
  };
}

function anonymousActor(random: SeededRandom): Actor {
  return {
    user: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
    userAgent: random.pick(['curl/8.5.0', 'Go-http-client/1.1', 'python-requests/2.31.0']),
    sourceIP: `203.0.113.${random.int(1, 254)}`,
  };
}

function objectRef(kind: ResourceKind, namespace: string | undefined, name: string | undefined, extra: Record<string, string>): Record<string, string> {
  const ref: Record<string, string> = { resource: kind.resource };
  if (namespace) ref.namespace = namespace;
  if (name) ref.name = name;
  if (extra.uid) ref.uid = extra.uid;
  if (kind.group) ref.apiGroup = kind.group;
  ref.apiVersion = kind.version;
  if (extra.resourceVersion) ref.resourceVersion = extra.resourceVersion;
  if (extra.subresource) ref.subresource = extra.subresource;
  return ref;
}

function resourceUri(kind: ResourceKind, namespace: string | undefined, name: string | undefined): string {
  const prefix = kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`;
  const scope = namespace ? `/namespaces/${namespace}` : '';
  return `${prefix}${scope}/${kind.resource}${name ? `/${name}` : ''}`;
}

function failureStatus(code: number, message: string): Record<string, unknown> {
  const reason = code === 401 ? 'Unauthorized' : code === 403 ? 'Forbidden' : code === 404 ? 'NotFound' : 'Conflict';
  return { metadata: {}, status: 'Failure', message, reason, code };
}

function failureReasonText(code: number): string {
  return code === 403 ? 'is forbidden' : code === 404 ? 'not found' : 'already exists or was modified';
}

/** Kubernetes MicroTime: RFC 3339 UTC with exactly six fractional digits. */
function microTime(micros: number): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  return `${iso.slice(0, 19)}.${String(micros % 1_000_000).padStart(6, '0')}Z`;
}

function secondTime(micros: number): string {
  return `${new Date(Math.floor(micros / 1000)).toISOString().slice(0, 19)}Z`;
}

/** Go's time.Duration.String() for sub-second values, e.g. "561.927µs" or "12.5ms" (non-ASCII µ on purpose). */
function formatGoDuration(micros: number): string {
  if (micros < 1000) return `${micros}µs`;
  if (micros < 1_000_000) return `${trimZeros((micros / 1000).toFixed(3))}ms`;
  return `${trimZeros((micros / 1_000_000).toFixed(6))}s`;
}

function trimZeros(decimal: string): string {
  return decimal.replace(/\.?0+$/, '');
}

/** JSON as Go's encoding/json writes it: `<`, `>` and `&` escaped, other non-ASCII left raw. */
function goJson(value: unknown): string {
  const json = JSON.stringify(value);
  return GO_ESCAPED.test(json) ? json.replaceAll('&', '\\u0026').replaceAll('<', '\\u003c').replaceAll('>', '\\u003e') : json;
}

const GO_ESCAPED = /[<>&]/;

/** Corpus files (under the shared corpus' real/ dir) that hold raw apiserver JSON lines. */
const REAL_JSON_LINE_SOURCES = ['audit2rbac-demo-v1.log', 'crowdsec-k8s-audit-pod-exec-file.log', 'crowdsec-k8s-audit-priv-pod-file.log', 'falco-k8s_audit-trace-files'];

/**
 * The real audit events of the shared corpus as single JSON lines, original bytes kept. Lines that
 * are not an Event object with a string auditID (such as falco's `{"kind": 0}`) are left out.
 */
export function readRealAuditLines(corpusRealDir: string): string[] {
  const lines: string[] = [];
  for (const source of REAL_JSON_LINE_SOURCES) {
    const path = join(corpusRealDir, source);
    if (!existsSync(path)) continue;
    const files = source.endsWith('.log') ? [path] : readdirSync(path).filter((name) => name.endsWith('.json')).sort().map((name) => join(path, name));
    for (const file of files) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (isEventLine(line)) lines.push(line);
      }
    }
  }
  return lines;
}

function isEventLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const parsed = JSON.parse(line) as { kind?: unknown; auditID?: unknown };
    return parsed.kind === 'Event' && typeof parsed.auditID === 'string';
  } catch {
    return false;
  }
}
