import assert from 'node:assert/strict';
import path from 'node:path';
import { itPassesTheDaemonSetChecklist, portsOf, type DeploymentExpectation } from './daemonset-checklist.js';
import { buildK8sCheck, renderKustomization } from './k8s-check.js';
import { describeDeployment, type RenderedDeployment } from './rendered-deployment.js';
import { REPO_ROOT } from './repo-root.js';

/** Ports of a comma-separated URL list (https without a port: 443). */
const urlPortsOf = (list: string | undefined): number[] =>
  (list ?? '')
    .split(',')
    .filter((entry) => entry.trim().length > 0)
    .map((entry) => new URL(entry.trim()))
    .map((url) => Number(url.port || (url.protocol === 'https:' ? 443 : 80)));

const KINDS = ['ConfigMap', 'DaemonSet', 'Namespace', 'NetworkPolicy', 'ServiceAccount'];

const OVERLAYS: Array<DeploymentExpectation & { dir: string }> = [
  { dir: 'manifests/base', sink: 'stdout', kinds: KINDS, sinkPorts: () => [] },
  { dir: 'manifests/overlays/kafka', sink: 'kafka', kinds: KINDS, sinkPorts: (settings) => portsOf(settings.KAF_KAFKA_BROKERS) },
  { dir: 'manifests/overlays/kafka-exactly-once', sink: 'kafka', kinds: KINDS, sinkPorts: (settings) => portsOf(settings.KAF_KAFKA_BROKERS) },
  {
    dir: 'manifests/overlays/kafka-alerts',
    sink: 'kafka',
    kinds: KINDS,
    sinkPorts: (settings) => [
      ...portsOf(settings.KAF_KAFKA_BROKERS),
      ...urlPortsOf(settings.KAF_ALERTMANAGER_URL),
      ...urlPortsOf(settings.KAF_ALERT_WEBHOOK_URL),
    ],
  },
  {
    dir: 'manifests/overlays/fluentd',
    sink: 'forward',
    kinds: KINDS,
    sinkPorts: (settings) => portsOf(settings.KAF_FORWARD_SERVERS, 24224),
  },
];

describe('Kubernetes manifests', function () {
  // The first build of the Go helper downloads kustomize and apiserver modules.
  this.timeout(600_000);

  before(async () => {
    await buildK8sCheck();
  });

  for (const overlay of OVERLAYS) {
    describe(overlay.dir, () => {
      let deployment: RenderedDeployment;

      before(async () => {
        deployment = describeDeployment(await renderKustomization(path.join(REPO_ROOT, overlay.dir)));
      });

      it('labels the namespace for the privileged Pod Security level that hostPath volumes need', () => {
        assert.equal(deployment.namespace?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'privileged');
      });

      itPassesTheDaemonSetChecklist(() => deployment, overlay);
    });
  }
});
