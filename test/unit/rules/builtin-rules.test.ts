import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { Registry } from 'prom-client';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import { DetectionProcessor } from '../../../src/rules/detection/detection-processor.js';
import { builtinRules } from '../../../src/rules/detection/rule-set.js';
import { unknownRuleFields } from '../../../src/rules/language/rule-field-check.js';
import { corpusPath, corpusRecords, withPodSpec, writtenEvent } from './written-events.js';

/**
 * Every built-in rule is proven both ways: it fires on its positive examples and stays quiet on
 * the look-alikes. Real events from the corpus are used wherever they exist (the Falco trace
 * files, crowdsec's captures, audit2rbac's impersonated log); events written here cover what the
 * public corpus lacks. The last test fails if a rule is added without both kinds of example.
 */

/** What each real corpus file must trigger, line by line; files not named here must trigger nothing. */
const FALCO_EXPECTED: Record<string, string[]> = {
  'anonymous_creates_namespace_foo.json': ['anonymous-request-allowed'],
  'attach_cluster_admin_role.json': ['cluster-admin-binding'],
  'attach_pod.json': ['pod-exec-attach'],
  'exec_pod.json': ['pod-exec-attach'],
  'create_cluster_role_pod_exec.json': ['role-grants-sensitive-access'],
  'create_cluster_role_wildcard_resources.json': ['wildcard-role'],
  'create_cluster_role_wildcard_verbs.json': ['wildcard-role'],
  'create_configmap_sensitive_values.json': ['configmap-with-credentials'],
  'create_nginx_pod_hostnetwork.json': ['host-namespace-pod'],
  'create_nginx_pod_privileged.json': ['privileged-container'],
  'create_nginx_pod_privileged_2nd_container.json': ['privileged-container'],
  'create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json': ['privileged-container'],
  'create_nginx_pod_sensitive_mount.json': ['sensitive-hostpath-mount'],
  'create_nginx_pod_sensitive_mount_2nd_container.json': ['sensitive-hostpath-mount'],
  'create_nginx_service_nodeport.json': ['nodeport-service'],
  'create_pod_kube_system_namespace.json': ['pod-in-system-namespace'],
  'create_pod_kube_public_namespace.json': ['pod-in-system-namespace'],
  'create_serviceaccount_kube_system_namespace.json': ['serviceaccount-in-system-namespace'],
  'create_serviceaccount_kube_public_namespace.json': ['serviceaccount-in-system-namespace'],
  'delete_cluster_role_kube_aggregator.json': ['system-role-modified'],
  'modify_cluster_role_node_problem_detector.json': ['system-role-modified', 'role-grants-write-access'],
  'create_cluster_role_write_privileges.json': ['role-grants-write-access'],
  'create_secret.json': ['secret-written-by-person'],
  'delete_secret.json': ['secret-written-by-person'],
};

const FALCO_DIR = corpusPath('falco-k8s_audit-trace-files');

/** Which rules each corpus source proves, positively (`fires`) or as a look-alike (`quiet`). */
const corpusEvidence = new Map<string, { fires: Set<string>; quiet: Set<string> }>();
function noteEvidence(rule: string, fires: boolean, source: string): void {
  const entry = corpusEvidence.get(rule) ?? { fires: new Set(), quiet: new Set() };
  (fires ? entry.fires : entry.quiet).add(source);
  corpusEvidence.set(rule, entry);
}

function freshDetector(): DetectionProcessor {
  return new DetectionProcessor(builtinRules(), new Registry());
}

interface WrittenCase {
  rule: string;
  fires: boolean;
  name: string;
  /** Evaluated in order on one detector; a firing case must fire on the last event only. */
  events: () => AuditEvent[];
}

const podExec = (command: string): AuditEvent =>
  writtenEvent({
    stage: 'ResponseStarted',
    requestURI: `/api/v1/namespaces/default/pods/web-0/exec?${command}\u0026container=web\u0026stdin=true\u0026tty=true`,
    objectRef: { resource: 'pods', subresource: 'exec', namespace: 'default', name: 'web-0', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 101 },
  });

const forbidden = (username: string, second: number): AuditEvent =>
  writtenEvent({
    verb: 'list',
    user: { username, groups: ['system:authenticated'] },
    objectRef: { resource: 'secrets', namespace: 'kube-system', apiVersion: 'v1' },
    responseStatus: { metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403 },
    stageTimestamp: new Date(Date.UTC(2026, 2, 2, 10, 0, second)).toISOString().replace('Z', '000Z'),
    annotations: { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' },
  });

const WRITTEN_CASES: WrittenCase[] = [
  { rule: 'pod-exec-suspicious-command', fires: true, name: 'exec reading the service-account token', events: () => [podExec('command=cat\u0026command=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken')] },
  { rule: 'pod-exec-suspicious-command', fires: true, name: 'exec of curl to the cloud metadata service', events: () => [podExec('command=curl\u0026command=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F')] },
  { rule: 'pod-exec-suspicious-command', fires: false, name: 'an interactive bash (falco exec_pod has command=bash)', events: () => [podExec('command=bash')] },
  {
    rule: 'pod-port-forward', fires: true, name: 'kubectl port-forward',
    events: () => [writtenEvent({ stage: 'ResponseStarted', verb: 'create', requestURI: '/api/v1/namespaces/default/pods/db-0/portforward', objectRef: { resource: 'pods', subresource: 'portforward', namespace: 'default', name: 'db-0', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 101 } })],
  },
  {
    rule: 'pod-port-forward', fires: false, name: 'a forbidden port-forward',
    events: () => [writtenEvent({ requestURI: '/api/v1/namespaces/default/pods/db-0/portforward', objectRef: { resource: 'pods', subresource: 'portforward', namespace: 'default', name: 'db-0', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 403 } })],
  },
  {
    rule: 'node-proxy-access', fires: true, name: 'a user listing pods through the kubelet API',
    events: () => [writtenEvent({ verb: 'get', requestURI: '/api/v1/nodes/node-1/proxy/pods', objectRef: { resource: 'nodes', subresource: 'proxy', name: 'node-1', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'node-proxy-access', fires: false, name: 'a metrics scrape through nodes/proxy',
    events: () => [writtenEvent({ verb: 'get', requestURI: '/api/v1/nodes/node-1/proxy/metrics/cadvisor', user: { username: 'system:serviceaccount:monitoring:prometheus' }, objectRef: { resource: 'nodes', subresource: 'proxy', name: 'node-1', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'ephemeral-container-added', fires: true, name: 'kubectl debug adding an ephemeral container',
    events: () => [writtenEvent({ verb: 'patch', requestURI: '/api/v1/namespaces/default/pods/web-0/ephemeralcontainers', objectRef: { resource: 'pods', subresource: 'ephemeralcontainers', namespace: 'default', name: 'web-0', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'ephemeral-container-added', fires: false, name: 'reading the ephemeral containers',
    events: () => [writtenEvent({ verb: 'get', objectRef: { resource: 'pods', subresource: 'ephemeralcontainers', namespace: 'default', name: 'web-0', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  { rule: 'privileged-container', fires: true, name: 'a Deployment whose template is privileged', events: () => [writtenEvent(withPodSpec('Deployment', { containers: [{ name: 'a', image: 'busybox', securityContext: { privileged: true } }] }))] },
  { rule: 'privileged-container', fires: true, name: 'a CronJob with a privileged init container', events: () => [writtenEvent(withPodSpec('CronJob', { initContainers: [{ name: 'i', image: 'busybox', securityContext: { privileged: true } }], containers: [{ name: 'a', image: 'busybox' }] }))] },
  { rule: 'privileged-container', fires: false, name: 'a Deployment with privileged: false', events: () => [writtenEvent(withPodSpec('Deployment', { containers: [{ name: 'a', image: 'busybox', securityContext: { privileged: false } }] }))] },
  { rule: 'sensitive-hostpath-mount', fires: true, name: 'a DaemonSet mounting the containerd socket', events: () => [writtenEvent(withPodSpec('DaemonSet', { volumes: [{ name: 's', hostPath: { path: '/run/containerd/containerd.sock' } }], containers: [{ name: 'a', image: 'x' }] }))] },
  { rule: 'host-namespace-pod', fires: true, name: 'a DaemonSet with hostPID', events: () => [writtenEvent(withPodSpec('DaemonSet', { hostPID: true, containers: [{ name: 'a', image: 'x' }] }))] },
  { rule: 'dangerous-capabilities', fires: true, name: 'a Deployment adding SYS_ADMIN', events: () => [writtenEvent(withPodSpec('Deployment', { containers: [{ name: 'a', image: 'x', securityContext: { capabilities: { add: ['NET_BIND_SERVICE', 'SYS_ADMIN'] } } }] }))] },
  { rule: 'dangerous-capabilities', fires: true, name: 'a Pod adding CAP_SYS_PTRACE', events: () => [writtenEvent(withPodSpec('Pod', { containers: [{ name: 'a', image: 'x', securityContext: { capabilities: { add: ['CAP_SYS_PTRACE'] } } }] }))] },
  { rule: 'dangerous-capabilities', fires: false, name: 'a Pod adding only NET_BIND_SERVICE and dropping ALL', events: () => [writtenEvent(withPodSpec('Pod', { containers: [{ name: 'a', image: 'x', securityContext: { capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] } } }] }))] },
  {
    rule: 'pod-in-system-namespace', fires: false, name: 'a kube-proxy pod from registry.k8s.io',
    events: () => [writtenEvent({ ...withPodSpec('Pod', { containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.31.0' }] }), objectRef: { resource: 'pods', namespace: 'kube-system', apiVersion: 'v1' }, user: { username: 'system:serviceaccount:kube-system:daemon-set-controller' } })],
  },
  {
    rule: 'rbac-changed-by-serviceaccount', fires: true, name: 'a CI service account creating a RoleBinding',
    events: () => [writtenEvent({ user: { username: 'system:serviceaccount:ci:deployer' }, requestURI: '/apis/rbac.authorization.k8s.io/v1/namespaces/prod/rolebindings', objectRef: { resource: 'rolebindings', namespace: 'prod', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' } })],
  },
  {
    rule: 'rbac-changed-by-serviceaccount', fires: false, name: 'the kube-system aggregation controller updating a ClusterRole',
    events: () => [writtenEvent({ verb: 'update', user: { username: 'system:serviceaccount:kube-system:clusterrole-aggregation-controller' }, objectRef: { resource: 'clusterroles', name: 'admin', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'serviceaccount-token-created', fires: true, name: 'kubectl create token by a person',
    events: () => [writtenEvent({ requestURI: '/api/v1/namespaces/prod/serviceaccounts/admin/token', objectRef: { resource: 'serviceaccounts', subresource: 'token', namespace: 'prod', name: 'admin', apiVersion: 'v1' } })],
  },
  {
    rule: 'serviceaccount-token-created', fires: true, name: 'a legacy service-account-token Secret created by a person',
    events: () => [writtenEvent({ requestURI: '/api/v1/namespaces/prod/secrets', objectRef: { resource: 'secrets', namespace: 'prod', apiVersion: 'v1' }, requestObject: { kind: 'Secret', apiVersion: 'v1', metadata: { name: 't', annotations: { 'kubernetes.io/service-account.name': 'admin' } }, type: 'kubernetes.io/service-account-token' } })],
  },
  {
    rule: 'serviceaccount-token-created', fires: false, name: 'the kubelet requesting a projected token',
    events: () => [writtenEvent({ user: { username: 'system:node:node-1', groups: ['system:nodes'] }, objectRef: { resource: 'serviceaccounts', subresource: 'token', namespace: 'prod', name: 'default', apiVersion: 'v1' } })],
  },
  {
    rule: 'secrets-listed-cluster-wide', fires: true, name: 'a person listing /api/v1/secrets',
    events: () => [writtenEvent({ verb: 'list', requestURI: '/api/v1/secrets?limit=500', objectRef: { resource: 'secrets', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'secrets-listed-cluster-wide', fires: false, name: 'listing the secrets of one namespace',
    events: () => [writtenEvent({ verb: 'list', requestURI: '/api/v1/namespaces/default/secrets', objectRef: { resource: 'secrets', namespace: 'default', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'role-grants-write-access', fires: false, name: 'a read-only ClusterRole',
    events: () => [writtenEvent({ requestObject: { kind: 'ClusterRole', rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }] }, objectRef: { resource: 'clusterroles', name: 'viewer', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' } })],
  },
  {
    rule: 'secret-written-by-person', fires: false, name: 'a controller creating a Secret',
    events: () => [writtenEvent({ user: { username: 'system:serviceaccount:cert-manager:cert-manager' }, objectRef: { resource: 'secrets', namespace: 'apps', name: 'tls', apiVersion: 'v1' } })],
  },
  {
    rule: 'secret-read-refused', fires: true, name: 'a refused get of a Secret',
    events: () => [writtenEvent({ verb: 'get', objectRef: { resource: 'secrets', namespace: 'kube-system', name: 'admin-token', apiVersion: 'v1' }, responseStatus: { metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403 } })],
  },
  {
    rule: 'secret-read-refused', fires: false, name: 'a successful get of a Secret, and one of a Secret that does not exist',
    events: () => [
      writtenEvent({ verb: 'get', objectRef: { resource: 'secrets', namespace: 'apps', name: 'db', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } }),
      writtenEvent({ verb: 'get', objectRef: { resource: 'secrets', namespace: 'apps', name: 'gone', apiVersion: 'v1' }, responseStatus: { metadata: {}, status: 'Failure', reason: 'NotFound', code: 404 } }),
    ],
  },
  {
    rule: 'secrets-read-by-script', fires: true, name: 'curl reading a Secret',
    events: () => [writtenEvent({ verb: 'get', userAgent: 'curl/8.5.0', objectRef: { resource: 'secrets', namespace: 'default', name: 'db', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'secrets-read-by-script', fires: false, name: 'kubectl reading a Secret',
    events: () => [writtenEvent({ verb: 'get', objectRef: { resource: 'secrets', namespace: 'default', name: 'db', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'cluster-dns-or-aws-auth-modified', fires: true, name: 'a patch of the coredns ConfigMap',
    events: () => [writtenEvent({ verb: 'patch', objectRef: { resource: 'configmaps', namespace: 'kube-system', name: 'coredns', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'cluster-dns-or-aws-auth-modified', fires: false, name: 'a patch of a ConfigMap named coredns in an app namespace',
    events: () => [writtenEvent({ verb: 'patch', objectRef: { resource: 'configmaps', namespace: 'apps', name: 'coredns', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'admission-webhook-changed', fires: true, name: 'a new ValidatingWebhookConfiguration',
    events: () => [writtenEvent({ requestURI: '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', objectRef: { resource: 'validatingwebhookconfigurations', apiGroup: 'admissionregistration.k8s.io', apiVersion: 'v1', name: 'audit-bypass' } })],
  },
  {
    rule: 'admission-webhook-changed', fires: false, name: 'listing webhook configurations',
    events: () => [writtenEvent({ verb: 'list', objectRef: { resource: 'mutatingwebhookconfigurations', apiGroup: 'admissionregistration.k8s.io', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'events-deleted', fires: true, name: 'a person deleting every Event of a namespace',
    events: () => [writtenEvent({ verb: 'deletecollection', objectRef: { resource: 'events', namespace: 'prod', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'events-deleted', fires: false, name: 'the namespace controller cleaning up a deleted namespace',
    events: () => [writtenEvent({ verb: 'deletecollection', user: { username: 'system:serviceaccount:kube-system:namespace-controller' }, objectRef: { resource: 'events', namespace: 'gone', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'impersonation-of-privileged-identity', fires: true, name: 'impersonating the system:masters group',
    events: () => [writtenEvent({ verb: 'get', impersonatedUser: { username: 'eve', groups: ['system:masters'] }, objectRef: { resource: 'secrets', namespace: 'kube-system', name: 'x', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'impersonation', fires: false, name: 'an impersonation the authorizer refused',
    events: () => [writtenEvent({ verb: 'get', impersonatedUser: { username: 'bob' }, responseStatus: { metadata: {}, code: 403 }, annotations: { 'authorization.k8s.io/decision': 'forbid' } })],
  },
  {
    rule: 'client-certificate-request', fires: true, name: 'a person approving a CSR',
    events: () => [writtenEvent({ verb: 'update', requestURI: '/apis/certificates.k8s.io/v1/certificatesigningrequests/eve/approval', objectRef: { resource: 'certificatesigningrequests', subresource: 'approval', name: 'eve', apiGroup: 'certificates.k8s.io', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'client-certificate-request', fires: true, name: 'a CSR for an API client certificate',
    events: () => [writtenEvent({ objectRef: { resource: 'certificatesigningrequests', name: 'eve', apiGroup: 'certificates.k8s.io', apiVersion: 'v1' }, requestObject: { kind: 'CertificateSigningRequest', spec: { signerName: 'kubernetes.io/kube-apiserver-client', request: 'LS0t' } } })],
  },
  {
    rule: 'client-certificate-request', fires: false, name: 'a kubelet serving-certificate CSR',
    events: () => [writtenEvent({ user: { username: 'system:node:node-1', groups: ['system:nodes'] }, objectRef: { resource: 'certificatesigningrequests', name: 'csr-1', apiGroup: 'certificates.k8s.io', apiVersion: 'v1' }, requestObject: { kind: 'CertificateSigningRequest', spec: { signerName: 'kubernetes.io/kubelet-serving' } } })],
  },
  {
    rule: 'auth-failure-burst', fires: true, name: '10 forbidden requests by one user within a minute (fires on the 10th)',
    events: () => Array.from({ length: 10 }, (_, index) => forbidden('mallory', index * 5)),
  },
  { rule: 'auth-failure-burst', fires: false, name: '9 forbidden requests by one user', events: () => Array.from({ length: 9 }, (_, index) => forbidden('mallory', index)) },
  {
    rule: 'auth-failure-burst', fires: false, name: '10 forbidden requests by one user spread over ten minutes',
    events: () => Array.from({ length: 10 }, (_, index) => ({ ...forbidden('mallory', 0), stageTimestamp: `2026-03-02T10:0${index}:00.000000Z` })),
  },
  { rule: 'auth-failure-burst', fires: false, name: '10 forbidden requests by 10 different users', events: () => Array.from({ length: 10 }, (_, index) => forbidden(`user-${index}`, index)) },
  {
    rule: 'ingress-without-tls', fires: true, name: 'an Ingress without tls',
    events: () => [writtenEvent({ requestURI: '/apis/networking.k8s.io/v1/namespaces/default/ingresses', objectRef: { resource: 'ingresses', namespace: 'default', apiGroup: 'networking.k8s.io', apiVersion: 'v1' }, requestObject: { kind: 'Ingress', spec: { rules: [{ host: 'a.example.com' }] } } })],
  },
  {
    rule: 'ingress-without-tls', fires: false, name: 'an Ingress with tls',
    events: () => [writtenEvent({ objectRef: { resource: 'ingresses', namespace: 'default', apiGroup: 'networking.k8s.io', apiVersion: 'v1' }, requestObject: { kind: 'Ingress', spec: { tls: [{ hosts: ['a.example.com'], secretName: 'a' }] } } })],
  },
  {
    rule: 'system-identity-from-public-ip', fires: true, name: 'the controller manager calling from 203.0.113.9',
    events: () => [writtenEvent({ verb: 'get', user: { username: 'system:kube-controller-manager' }, sourceIPs: ['203.0.113.9'], responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'system-identity-from-public-ip', fires: false, name: 'a node calling from 10.0.0.7',
    events: () => [writtenEvent({ verb: 'get', user: { username: 'system:node:node-1' }, sourceIPs: ['10.0.0.7'], responseStatus: { metadata: {}, code: 200 } })],
  },
  {
    rule: 'anonymous-request-allowed', fires: false, name: 'an anonymous /healthz probe',
    events: () => [writtenEvent({ verb: 'get', requestURI: '/healthz', objectRef: undefined, user: { username: 'system:anonymous', groups: ['system:unauthenticated'] }, responseStatus: { metadata: {}, code: 200 } })],
  },
];

describe('built-in detection rules', () => {
  describe('on the Falco trace files (real events)', () => {
    const files = readdirSync(FALCO_DIR).filter((name) => name.endsWith('.json'));
    for (const file of files) {
      const expected = FALCO_EXPECTED[file] ?? [];
      it(`${file} triggers ${expected.length > 0 ? expected.join(', ') : 'nothing'}`, () => {
        const detector = freshDetector();
        for (const record of corpusRecords(`${FALCO_DIR}/${file}`)) {
          assert.deepEqual(detector.evaluate(record.event), expected, `${file} (${record.event.auditID as string})`);
        }
      });
      for (const rule of builtinRules()) noteEvidence(rule.id, expected.includes(rule.id), `falco ${file}`);
    }
    it('reads all 51 events of the 46 event files', () => {
      assert.equal(files.flatMap((file) => corpusRecords(`${FALCO_DIR}/${file}`)).length, 51);
    });
  });

  describe('on other real captures', () => {
    it('crowdsec: a real exec with command=/bin/bash is an exec but not a suspicious command', () => {
      const [record] = corpusRecords(corpusPath('crowdsec-k8s-audit-pod-exec-file.log'));
      assert.deepEqual(freshDetector().evaluate(record!.event), ['pod-exec-attach']);
    });
    noteEvidence('pod-exec-attach', true, 'crowdsec exec');
    noteEvidence('pod-exec-suspicious-command', false, 'crowdsec exec');

    it('crowdsec: a real privileged pod created by kubectl apply', () => {
      const [record] = corpusRecords(corpusPath('crowdsec-k8s-audit-priv-pod-file.log'));
      assert.deepEqual(freshDetector().evaluate(record!.event), ['privileged-container']);
    });

    it('audit2rbac: allowed requests made by impersonating bob are impersonation; the 11 refused ones and bob himself are not privileged', () => {
      const detector = freshDetector();
      const records = corpusRecords(corpusPath('audit2rbac-demo-v1.log'));
      const results = records.map((record) => detector.evaluate(record.event));
      const refused = records.filter((record) => (record.event.responseStatus as { code: number }).code === 403).length;
      assert.equal(refused, 11);
      assert.equal(results.filter((ids) => ids.includes('impersonation')).length, records.length - refused);
      assert.equal(results.filter((ids) => ids.includes('impersonation-of-privileged-identity')).length, 0);
      // 11 refusals in 34 minutes never make 10 within a minute.
      assert.equal(results.filter((ids) => ids.includes('auth-failure-burst')).length, 0);
    });
    noteEvidence('impersonation', true, 'audit2rbac');
    noteEvidence('impersonation-of-privileged-identity', false, 'audit2rbac');
    noteEvidence('auth-failure-burst', false, 'audit2rbac');
  });

  describe('on written events (cases the public corpus lacks)', () => {
    for (const testCase of WRITTEN_CASES) {
      it(`${testCase.rule} ${testCase.fires ? 'fires on' : 'stays quiet on'} ${testCase.name}`, () => {
        const detector = freshDetector();
        const results = testCase.events().map((event) => detector.evaluate(event));
        const firedAt = results.flatMap((ids, index) => (ids.includes(testCase.rule) ? [index] : []));
        assert.deepEqual(firedAt, testCase.fires ? [results.length - 1] : []);
      });
    }
  });

  it('every built-in rule has at least one positive and one negative example above', () => {
    const rules = builtinRules();
    assert.ok(rules.length >= 20, `only ${rules.length} built-in rules`);
    const missing = rules.flatMap((rule) => {
      const evidence = corpusEvidence.get(rule.id);
      const fires = (evidence?.fires.size ?? 0) + WRITTEN_CASES.filter((c) => c.rule === rule.id && c.fires).length;
      const quiet = (evidence?.quiet.size ?? 0) + WRITTEN_CASES.filter((c) => c.rule === rule.id && !c.fires).length;
      return [...(fires === 0 ? [`${rule.id}: no positive`] : []), ...(quiet === 0 ? [`${rule.id}: no negative`] : [])];
    });
    assert.deepEqual(missing, []);
  });
});

describe('the fields of the built-in rules', () => {
  it('are all fields an audit.k8s.io/v1 event can have (the schema the start-up warning checks custom rules against)', () => {
    assert.ok(builtinRules().every((rule) => rule.fields.length > 0));
    assert.deepEqual(unknownRuleFields('detection rule', builtinRules()), []);
  });
});
