import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chartSchemaText, SCHEMA_FILE } from '../../../scripts/chart-schema.js';
import { itPassesTheDaemonSetChecklist, portsOf, type DeploymentExpectation } from '../../unit/deploy/daemonset-checklist.js';
import { renderKustomization } from '../../unit/deploy/k8s-check.js';
import { CHART, helm, NAMESPACE, RELEASE, renderChart } from '../../unit/deploy/helm.js';
import { describeDeployment, type RenderedDeployment } from '../../unit/deploy/rendered-deployment.js';
import { REPO_ROOT } from '../../unit/deploy/repo-root.js';

const KINDS = ['ConfigMap', 'DaemonSet', 'NetworkPolicy', 'Service', 'ServiceAccount'];

interface ChartCase extends DeploymentExpectation {
  name: string;
  values: Record<string, unknown>;
}

const SINKS: ChartCase[] = [
  { name: 'stdout sink (the default values)', values: {}, sink: 'stdout', kinds: KINDS, sinkPorts: () => [] },
  { name: 'file sink', values: { sink: { type: 'file' } }, sink: 'file', kinds: KINDS, sinkPorts: () => [] },
  {
    name: 'kafka sink with TLS, a client certificate and SCRAM',
    values: {
      sink: {
        type: 'kafka',
        kafka: {
          brokers: ['kafka-0.example.internal:9093', 'kafka-1.example.internal:9094'],
          tls: { enabled: true, secretName: 'kafka-tls', clientCertificate: true },
          sasl: { mechanism: 'scram-sha-512', username: 'kaf', passwordSecret: { name: 'kafka-password', key: 'password' } },
        },
      },
      config: { kafkaCompression: 'zstd', kafkaMaxMessageBytes: 1000000 },
    },
    sink: 'kafka',
    kinds: KINDS,
    sinkPorts: (settings) => portsOf(settings.KAF_KAFKA_BROKERS),
  },
  {
    name: 'forward sink with TLS, a shared key and a user',
    values: {
      sink: {
        type: 'forward',
        forward: {
          servers: ['fluentd-0.example.internal', 'fluentd-1.example.internal:24225'],
          tls: { enabled: true, secretName: 'fluentd-ca' },
          sharedKeySecret: { name: 'fluentd-auth', key: 'shared-key' },
          username: 'auditor',
          passwordSecret: { name: 'fluentd-auth', key: 'password' },
        },
      },
    },
    sink: 'forward',
    kinds: KINDS,
    sinkPorts: (settings) => portsOf(settings.KAF_FORWARD_SERVERS, 24224),
  },
  {
    name: 'kafka sink with alerts to an Alertmanager HA pair over TLS with a bearer token, and a Slack webhook',
    values: {
      sink: { type: 'kafka', kafka: { brokers: ['kafka-0.example.internal:9092'] } },
      alerts: { alertmanagerUrls: ['https://am-0.example.internal:9093', 'https://am-1.example.internal:9093'], webhookPorts: [443], secretName: 'kaf-alerts' },
      config: {
        alertmanagerCaFile: '/etc/kube-audit-forwarder/alerts/ca.crt',
        alertmanagerBearerTokenFile: '/etc/kube-audit-forwarder/alerts/token',
        alertWebhookUrlFile: '/etc/kube-audit-forwarder/alerts/webhook-url',
        alertWebhookFormat: 'slack',
        alertsLabels: 'cluster=prod-eu',
      },
    },
    sink: 'kafka',
    kinds: KINDS,
    sinkPorts: (settings) => [...portsOf(settings.KAF_KAFKA_BROKERS), 9093, 443],
  },
];

/** The Secret keys of the projected credentials volume, as `secret:key->mounted file`, sorted. */
function credentialFiles({ pod, container }: ReturnType<typeof describeDeployment>): string[] {
  const volume = pod.volumes!.find((v) => v.projected)!;
  const mount = container.volumeMounts!.find((m) => m.name === volume.name)!;
  return volume.projected!.sources
    .flatMap((source) => source.secret!.items!.map((item) => `${source.secret!.name}:${item.key}->${mount.mountPath}/${item.path}`))
    .sort();
}

const DISTRIBUTIONS: Record<string, { path: string; hostDir: string }> = {
  default: { path: '/var/log/kubernetes/audit.log', hostDir: '/var/log/kubernetes' },
  kubeadm: { path: '/var/log/kubernetes/audit/audit.log', hostDir: '/var/log/kubernetes' },
  k3s: { path: '/var/lib/rancher/k3s/server/logs/audit.log', hostDir: '/var/lib/rancher/k3s/server/logs' },
  rke2: { path: '/var/lib/rancher/rke2/server/logs/audit.log', hostDir: '/var/lib/rancher/rke2/server/logs' },
};

describe('Helm chart (charts/kube-audit-forwarder)', function () {
  // A cold `make services` builds Helm first; a cold run here would build it too.
  this.timeout(1_800_000);

  it('has values.schema.json as scripts/chart-schema.ts generates it from the run options (regenerate with --write)', () => {
    assert.equal(readFileSync(path.join(REPO_ROOT, SCHEMA_FILE), 'utf8'), chartSchemaText());
  });

  it('versions the chart and the agent it installs as package.json does', () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const chart = readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8');
    assert.match(chart, new RegExp(`^version: ${version.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(chart, new RegExp(`^appVersion: "${version.replace(/\./g, '\\.')}"$`, 'm'));
  });

  for (const chartCase of SINKS) {
    describe(chartCase.name, () => {
      let deployment: RenderedDeployment;
      before(async () => {
        deployment = describeDeployment(await renderChart(chartCase.values));
      });

      it('passes helm lint', async () => {
        await helm(['lint', CHART, '--strict'], chartCase.values);
      });

      itPassesTheDaemonSetChecklist(() => deployment, chartCase);
    });
  }

  describe('credentials', () => {
    it('mounts only the Secret keys the sink reads, as the files its settings name', async () => {
      const deployment = describeDeployment(await renderChart(SINKS[2]!.values));
      const { settings, container } = deployment;
      assert.deepEqual(credentialFiles(deployment), [
        'kafka-password:password->/etc/kube-audit-forwarder/kafka/sasl-password',
        'kafka-tls:ca.crt->/etc/kube-audit-forwarder/kafka/ca.crt',
        'kafka-tls:tls.crt->/etc/kube-audit-forwarder/kafka/tls.crt',
        'kafka-tls:tls.key->/etc/kube-audit-forwarder/kafka/tls.key',
      ]);
      assert.equal(settings.KAF_KAFKA_SASL_PASSWORD_FILE, '/etc/kube-audit-forwarder/kafka/sasl-password');
      assert.equal(settings.KAF_KAFKA_TLS_CERT_FILE, '/etc/kube-audit-forwarder/kafka/tls.crt');
      assert.equal(settings.KAF_KAFKA_COMPRESSION, 'zstd');
      assert.equal(settings.KAF_KAFKA_MAX_MESSAGE_BYTES, '1000000', 'numbers are written out, not as 1e+06');
      assert.equal(container.env!.find((v) => v.name === 'KAF_KAFKA_CLIENT_ID')?.value, 'kube-audit-forwarder-$(NODE_NAME)');
    });

    it('hands the Alertmanager URLs to the agent and mounts the alerts Secret whole, root-only, where the alert settings look', async () => {
      const { settings, pod, container } = describeDeployment(await renderChart(SINKS[4]!.values));
      assert.equal(settings.KAF_ALERTMANAGER_URL, 'https://am-0.example.internal:9093,https://am-1.example.internal:9093');
      assert.equal(settings.KAF_ALERTMANAGER_BEARER_TOKEN_FILE, '/etc/kube-audit-forwarder/alerts/token');
      const volume = pod.volumes!.find((v) => v.name === 'alerts-credentials')!;
      assert.deepEqual(volume.secret, { secretName: 'kaf-alerts', defaultMode: 0o400 });
      assert.deepEqual(container.volumeMounts!.find((m) => m.name === 'alerts-credentials'), { name: 'alerts-credentials', mountPath: '/etc/kube-audit-forwarder/alerts', readOnly: true });
    });

    it('mounts the OAUTHBEARER token Secret key as the token file, with no user name or password', async () => {
      const values = {
        sink: {
          type: 'kafka',
          kafka: {
            brokers: ['kafka-0.example.internal:9093'],
            tls: { enabled: true, secretName: 'kafka-tls' },
            sasl: { mechanism: 'oauthbearer', tokenSecret: { name: 'kafka-token', key: 'jwt' } },
          },
        },
      };
      await helm(['lint', CHART, '--strict'], values);
      const deployment = describeDeployment(await renderChart(values));
      const { settings } = deployment;
      assert.deepEqual(credentialFiles(deployment), [
        'kafka-tls:ca.crt->/etc/kube-audit-forwarder/kafka/ca.crt',
        'kafka-token:jwt->/etc/kube-audit-forwarder/kafka/oauthbearer-token',
      ]);
      assert.equal(settings.KAF_KAFKA_SASL_MECHANISM, 'oauthbearer');
      assert.equal(settings.KAF_KAFKA_SASL_OAUTHBEARER_TOKEN_FILE, '/etc/kube-audit-forwarder/kafka/oauthbearer-token');
      assert.equal(settings.KAF_KAFKA_SASL_USERNAME, undefined);
      assert.equal(settings.KAF_KAFKA_SASL_PASSWORD_FILE, undefined);
    });

    it('refuses the oauthbearer mechanism without the Secret holding the token', async () => {
      await assert.rejects(
        renderChart({ sink: { type: 'kafka', kafka: { brokers: ['k:9093'], sasl: { mechanism: 'oauthbearer' } } } }),
        /sink\.kafka\.sasl\.tokenSecret\.name is required/,
      );
    });

    it('refuses a SASL mechanism without the Secret holding the password', async () => {
      await assert.rejects(
        renderChart({ sink: { type: 'kafka', kafka: { brokers: ['k:9093'], sasl: { mechanism: 'plain', username: 'u' } } } }),
        /sink\.kafka\.sasl\.passwordSecret\.name is required/,
      );
    });

    it('refuses the kafka sink without brokers', async () => {
      await assert.rejects(renderChart({ sink: { type: 'kafka' } }), /sink\.kafka\.brokers is required/);
    });
  });

  for (const [distribution, preset] of Object.entries(DISTRIBUTIONS)) {
    it(`${distribution}: reads ${preset.path} from a read-only mount of ${preset.hostDir}, and passes helm lint`, async () => {
      const values = { distribution };
      await helm(['lint', CHART, '--strict'], values);
      const { settings, pod, container } = describeDeployment(await renderChart(values));
      assert.equal(settings.KAF_PATH, preset.path);
      const volume = pod.volumes!.find((v) => v.name === 'audit-log')!;
      assert.deepEqual(volume.hostPath, { path: preset.hostDir, type: 'Directory' });
      assert.deepEqual(container.volumeMounts!.find((m) => m.name === 'audit-log'), {
        name: 'audit-log',
        mountPath: preset.hostDir,
        readOnly: true,
      });
      const criticalAddons = pod.tolerations!.some((t) => t.key === 'CriticalAddonsOnly' && t.operator === 'Exists');
      assert.equal(criticalAddons, distribution === 'k3s' || distribution === 'rke2');
    });
  }

  it('renders the same pod as the kustomize base (kubeadm preset, stdout sink), and the same settings', async () => {
    const chart = describeDeployment(await renderChart({ distribution: 'kubeadm' }));
    const base = describeDeployment(await renderKustomization(path.join(REPO_ROOT, 'manifests/base')));
    const normalised = (deployment: RenderedDeployment) => ({
      ...deployment.pod,
      serviceAccountName: 'SERVICE-ACCOUNT',
      containers: [{ ...deployment.container, envFrom: [{ configMapRef: { name: 'CONFIG' } }] }],
    });
    assert.deepEqual(normalised(chart), normalised(base));
    assert.deepEqual(chart.settings, base.settings);
    const scrape = (deployment: RenderedDeployment) =>
      Object.entries(deployment.daemonSet.spec.template.metadata.annotations ?? {}).filter(([key]) => key.startsWith('prometheus.io/'));
    assert.deepEqual(scrape(chart), scrape(base));
  });

  it('adds a PodMonitor, a ServiceMonitor, the PrometheusRule and the dashboard, each decoding strictly into its type', async () => {
    const objects = await renderChart({
      metrics: { podMonitor: { enabled: true }, serviceMonitor: { enabled: true, labels: { release: 'prometheus' } } },
      prometheusRule: { enabled: true },
      dashboard: { enabled: true },
    });
    const byKind = (kind: string) => objects.filter((object) => object.kind === kind);
    assert.equal(byKind('PodMonitor').length, 1);
    assert.equal(byKind('ServiceMonitor')[0]!.metadata.labels?.release, 'prometheus');
    assert.equal(byKind('PrometheusRule').length, 1);
    const dashboard = byKind('ConfigMap').find((object) => object.metadata.labels?.grafana_dashboard === '1') as
      | { data: Record<string, string> }
      | undefined;
    assert.ok(dashboard, 'a ConfigMap labelled for the Grafana sidecar');
    assert.equal(JSON.parse(dashboard.data['kube-audit-forwarder.json']!).uid, 'kube-audit-forwarder');
  });

  it('has a helm test hook pod that asks every agent pod /readyz through the headless Service', async () => {
    const objects = await renderChart({}, []);
    const test = objects.find((object) => object.metadata.annotations?.['helm.sh/hook'] === 'test') as
      | { spec: { containers: Array<{ env: Array<{ name: string; value: string }>; command: string[] }> } }
      | undefined;
    assert.ok(test, 'a test hook');
    const service = objects.find((object) => object.kind === 'Service') as unknown as {
      metadata: { name: string };
      spec: { clusterIP: string; publishNotReadyAddresses: boolean };
    };
    assert.equal(service.spec.clusterIP, 'None');
    assert.equal(service.spec.publishNotReadyAddresses, true);
    const env = Object.fromEntries(test.spec.containers[0]!.env.map(({ name, value }) => [name, value]));
    assert.equal(env.SERVICE, `${service.metadata.name}.${NAMESPACE}.svc`);
    assert.match(test.spec.containers[0]!.command.join(' '), /\/readyz/);
    const notes = await helm(['install', RELEASE, CHART, '--namespace', NAMESPACE, '--dry-run=client']);
    assert.match(notes, /helm test kaf/);
  });

  it('lets the helm test pod reach the metrics port when networkPolicy.metricsFrom narrows it to Prometheus', async () => {
    const prometheus = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };
    const { networkPolicy } = describeDeployment(await renderChart({ networkPolicy: { metricsFrom: [prometheus] } }));
    assert.deepEqual(networkPolicy.spec.ingress![0]!.from, [
      prometheus,
      { podSelector: { matchLabels: { 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/component': 'test' } } },
    ]);
  });

  describe('values.schema.json', () => {
    const typos: Array<[string, unknown, RegExp]> = [
      ['a misspelt top-level key', { sinks: { type: 'kafka' } }, /sinks/],
      ['a misspelt nested key', { sink: { typ: 'kafka' } }, /typ/],
      ['an unknown sink', { sink: { type: 'elasticsearch' } }, /elasticsearch|enum|must be one of/i],
      ['a misspelt setting', { config: { batchMaxEvent: 10 } }, /batchMaxEvent/],
      ['a setting of the wrong type', { config: { batchMaxEvents: 'many' } }, /batchMaxEvents/],
      ['a size the agent cannot read', { config: { maxLineBytes: '1 megabyte' } }, /maxLineBytes/],
      ['an inline SASL password', { config: { kafkaSaslPassword: 'hunter2' } }, /kafkaSaslPassword/],
      ['a token file the chart does not mount', { config: { kafkaSaslOauthbearerTokenFile: '/token' } }, /kafkaSaslOauthbearerTokenFile/],
      ['an unknown distribution', { distribution: 'minikube' }, /minikube|enum|must be one of/i],
      ['a broker without a port', { sink: { kafka: { brokers: ['kafka-0'] } } }, /brokers/],
    ];
    for (const [what, values, message] of typos) {
      it(`rejects ${what} at helm template and helm lint`, async () => {
        await assert.rejects(renderChart(values), (error: Error) => {
          assert.match(error.message, /schema/i);
          assert.match(error.message, message);
          return true;
        });
        await assert.rejects(helm(['lint', CHART, '--strict'], values), /schema/i);
      });
    }

    it('accepts every setting of docs/settings.md that the chart does not own, typed', async () => {
      const { settings } = describeDeployment(
        await renderChart({ config: { batchMaxEvents: 500, maxLineBytes: '2MiB', redaction: false, logLevel: 'debug', filterDrop: 'verb=watch' } }),
      );
      assert.equal(settings.KAF_BATCH_MAX_EVENTS, '500');
      assert.equal(settings.KAF_MAX_LINE_BYTES, '2MiB');
      assert.equal(settings.KAF_REDACTION, 'false');
      assert.equal(settings.KAF_LOG_LEVEL, 'debug');
      assert.equal(settings.KAF_FILTER_DROP, 'verb=watch');
    });
  });
});
