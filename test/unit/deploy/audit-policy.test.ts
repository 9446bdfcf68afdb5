import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { evaluateAuditPolicy, type AuditDecision, type AuditRequestCase } from './k8s-check.js';
import { REPO_ROOT } from './repo-root.js';

const POLICY = path.join(REPO_ROOT, 'manifests/audit-policy.yaml');
const ADMIN = { user: 'alice@example.com', groups: ['system:authenticated', 'platform-admins'] };

/** Requests and the level the policy must give them, as kube-apiserver's own evaluator decides. */
const EXPECTED: Array<[string, AuditRequestCase, AuditDecision['level']]> = [
  // Credentials and configuration: who and when, never the body.
  ['reading a secret', { ...ADMIN, verb: 'get', resource: 'secrets', namespace: 'default' }, 'Metadata'],
  ['listing secrets', { ...ADMIN, verb: 'list', resource: 'secrets' }, 'Metadata'],
  ['creating a secret', { ...ADMIN, verb: 'create', resource: 'secrets', namespace: 'default' }, 'Metadata'],
  ['patching a configmap', { ...ADMIN, verb: 'patch', resource: 'configmaps', namespace: 'default' }, 'Metadata'],
  ['requesting a service account token', { ...ADMIN, verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: 'default' }, 'Metadata'],
  ['a token review', { user: 'system:kube-controller-manager', verb: 'create', apiGroup: 'authentication.k8s.io', resource: 'tokenreviews' }, 'Metadata'],
  // Privilege and workload changes: everything.
  ['binding cluster-admin', { ...ADMIN, verb: 'create', apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' }, 'RequestResponse'],
  ['editing a role', { ...ADMIN, verb: 'patch', apiGroup: 'rbac.authorization.k8s.io', resource: 'roles', namespace: 'default' }, 'RequestResponse'],
  ['creating a pod', { ...ADMIN, verb: 'create', resource: 'pods', namespace: 'default' }, 'RequestResponse'],
  ['deleting a pod', { ...ADMIN, verb: 'delete', resource: 'pods', namespace: 'default' }, 'RequestResponse'],
  ['exec into a pod', { ...ADMIN, verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'default' }, 'RequestResponse'],
  // Other writes keep the request, other reads the metadata.
  ['scaling a deployment', { ...ADMIN, verb: 'patch', apiGroup: 'apps', resource: 'deployments', namespace: 'default' }, 'Request'],
  ['reading pods', { ...ADMIN, verb: 'list', resource: 'pods' }, 'Metadata'],
  ['reading roles', { ...ADMIN, verb: 'get', apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles' }, 'Metadata'],
  // Noise nobody audits.
  ['kube-proxy watching endpoints', { user: 'system:kube-proxy', verb: 'watch', resource: 'endpoints' }, 'None'],
  ['a kubelet reading its node', { user: 'system:node:cp-1', groups: ['system:nodes'], verb: 'get', resource: 'nodes' }, 'None'],
  ['a lease renewal', { user: 'system:node:cp-1', groups: ['system:nodes'], verb: 'update', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease' }, 'None'],
  ['a health check', { user: 'system:anonymous', verb: 'get', path: '/healthz' }, 'None'],
  ['a readiness check', { user: 'system:anonymous', verb: 'get', path: '/readyz' }, 'None'],
  ['an event', { user: 'system:kube-scheduler', verb: 'create', resource: 'events', namespace: 'default' }, 'None'],
];

describe('audit policy (manifests/audit-policy.yaml)', function () {
  this.timeout(600_000);

  it('loads strictly in kube-apiserver code and omits the RequestReceived stage for every request', async () => {
    const decisions = await evaluateAuditPolicy(POLICY, EXPECTED.map(([, request]) => request));
    for (const decision of decisions) assert.deepEqual(decision.omitStages, ['RequestReceived']);
  });

  for (const [what, request, level] of EXPECTED) {
    it(`audits ${what} at ${level}`, async () => {
      const [decision] = await evaluateAuditPolicy(POLICY, [request]);
      assert.equal(decision!.level, level);
    });
  }

  it('is refused with an unknown field, which kube-apiserver would only warn about and ignore', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kaf-audit-policy-'));
    try {
      const broken = (await readFile(POLICY, 'utf8')).replace('omitStages:', 'omitStage:');
      await writeFile(path.join(dir, 'policy.yaml'), broken);
      await assert.rejects(evaluateAuditPolicy(path.join(dir, 'policy.yaml'), []), /unknown field "omitStage"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
