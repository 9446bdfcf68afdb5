import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { AgentProcess, type LogEntry } from '../../helpers/agent-process.js';
import { CHART, goTool, NAMESPACE, RELEASE, renderChart } from '../../unit/deploy/helm.js';

const run = promisify(execFile);

interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroups {
  groups: Array<{ name: string; rules: AlertingRule[] }>;
}

/** Series that come from kube-state-metrics and Prometheus itself, not from the agent. */
const EXTERNAL_SERIES = new Set([
  'up',
  'kube_daemonset_status_desired_number_scheduled',
  'kube_daemonset_status_number_available',
  'kube_node_role',
]);

const POD = `${RELEASE}-kube-audit-forwarder-x7k2p`;
const AGENT = `namespace="${NAMESPACE}", pod="${POD}"`;
const DAEMONSET = `namespace="${NAMESPACE}", daemonset="${RELEASE}-kube-audit-forwarder"`;

interface AlertCase {
  alert: string;
  series: Array<{ series: string; values: string }>;
  /** Minutes at which the alert must not be firing, and the minute at which it must. */
  quietAt: number[];
  firingAt: number;
  labels: Record<string, string>;
}

/** Each alert fires on the series that should trigger it and resolves once they recover (interval 1m). */
const CASES: AlertCase[] = [
  {
    alert: 'KubeAuditForwarderAuditDataLost',
    series: [{ series: `kube_audit_forwarder_bytes_lost_total{${AGENT}}`, values: '0x10 4096x50' }],
    quietAt: [9, 50],
    firingAt: 12,
    labels: { severity: 'critical', namespace: NAMESPACE, pod: POD },
  },
  {
    alert: 'KubeAuditForwarderCheckpointStalled',
    series: [
      { series: `kube_audit_forwarder_checkpoint_age_seconds{${AGENT}}`, values: '0+60x40' },
      { series: `kube_audit_forwarder_file_lag_bytes{${AGENT}, file="3f2a9c0e41b7"}`, values: '1000x19 0x20' },
    ],
    quietAt: [14, 25],
    firingAt: 17,
    labels: { severity: 'critical', namespace: NAMESPACE, pod: POD },
  },
  {
    alert: 'KubeAuditForwarderLagging',
    series: [{ series: `kube_audit_forwarder_lag_seconds{${AGENT}}`, values: '10x5 400x20 10x10' }],
    quietAt: [12, 30],
    firingAt: 17,
    labels: { severity: 'warning', namespace: NAMESPACE, pod: POD },
  },
  {
    alert: 'KubeAuditForwarderSinkNotReady',
    series: [{ series: `kube_audit_forwarder_sink_ready{${AGENT}}`, values: '1x5 0x20 1x10' }],
    quietAt: [12, 30],
    firingAt: 17,
    labels: { severity: 'critical', namespace: NAMESPACE, pod: POD },
  },
  {
    alert: 'KubeAuditForwarderDeadLetterLines',
    series: [{ series: `kube_audit_forwarder_dead_letter_lines_total{${AGENT}, reason="invalid"}`, values: '0x5 3x40' }],
    quietAt: [4, 30],
    firingAt: 7,
    labels: { severity: 'warning', namespace: NAMESPACE, pod: POD, reason: 'invalid' },
  },
  {
    alert: 'KubeAuditForwarderUnreadableFiles',
    series: [{ series: `kube_audit_forwarder_unreadable_files{${AGENT}}`, values: '0x5 1x20 0x10' }],
    quietAt: [12, 30],
    firingAt: 17,
    labels: { severity: 'warning', namespace: NAMESPACE, pod: POD },
  },
  {
    alert: 'KubeAuditForwarderDown',
    series: [{ series: `up{${AGENT}, job="${NAMESPACE}/${RELEASE}-kube-audit-forwarder"}`, values: '1x5 0x10 1x10' }],
    quietAt: [9, 20],
    firingAt: 12,
    labels: { severity: 'critical', namespace: NAMESPACE, pod: POD },
  },
  {
    alert: 'KubeAuditForwarderNotRunningOnNode',
    series: [
      { series: `kube_daemonset_status_desired_number_scheduled{${DAEMONSET}}`, values: '3x40' },
      { series: `kube_daemonset_status_number_available{${DAEMONSET}}`, values: '3x5 2x20 3x10' },
    ],
    quietAt: [14, 30],
    firingAt: 17,
    labels: { severity: 'critical', namespace: NAMESPACE, daemonset: `${RELEASE}-kube-audit-forwarder` },
  },
  {
    alert: 'KubeAuditForwarderMissingOnControlPlaneNode',
    series: [
      // cp-1 carries both labels: it counts once.
      { series: 'kube_node_role{node="cp-1", role="control-plane"}', values: '1x40' },
      { series: 'kube_node_role{node="cp-1", role="master"}', values: '1x40' },
      { series: 'kube_node_role{node="cp-2", role="control-plane"}', values: '1x40' },
      { series: 'kube_node_role{node="worker-1", role="worker"}', values: '1x40' },
      { series: `kube_daemonset_status_desired_number_scheduled{${DAEMONSET}}`, values: '1x20 2x20' },
    ],
    quietAt: [10, 30],
    firingAt: 16,
    labels: { severity: 'critical' },
  },
];

/** Metric names in a PromQL expression (histogram series resolve to their family). */
function metricNames(expr: string): string[] {
  // Label matchers, grouping label lists and range durations are not metric names.
  const withoutStrings = expr
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '');
  const names = [...withoutStrings.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=\{|\[|\)|$|\s)/g)].map((m) => m[1]!);
  const keywords = /^(sum|max|min|count|avg|by|on|and|or|unless|without|rate|increase|histogram_quantile|ignoring|group_left|group_right|le|rule|severity|pod|reason|offset)$/;
  return [...new Set(names.filter((name) => !keywords.test(name)).map((name) => name.replace(/_bucket$/, '')))];
}

/** Names of the metric families a live agent serves on /metrics. */
async function liveMetricNames(): Promise<{ names: Set<string>; text: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kaf-metrics-'));
  const log = path.join(dir, 'audit.log');
  await writeFile(log, `${JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: 'a-1', stage: 'ResponseComplete' })}\nnot json\n`);
  const agent = new AgentProcess(['run', '--path', log, '--checkpoint-dir', path.join(dir, 'checkpoint'), '--sink', 'file', '--file-path', path.join(dir, 'out.jsonl')]);
  try {
    const listening: LogEntry = await agent.waitForLog((entry) => entry.message === 'http endpoints listening');
    const url = listening.url as string;
    let text = '';
    // Wait until the agent shipped the line and dead-lettered the garbage: the histogram has
    // observations then (labelled counters are served at 0 from the start).
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      text = await (await fetch(`${url}/metrics`)).text();
      if (/^kube_audit_forwarder_events_shipped_total 1$/m.test(text) && /^kube_audit_forwarder_dead_letter_lines_total\{reason="invalid"\} 1$/m.test(text)) break;
    }
    const names = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    return { names, text };
  } finally {
    agent.kill('SIGTERM');
    await agent.waitForExit();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('monitoring: PrometheusRule and Grafana dashboard', function () {
  this.timeout(1_800_000);
  let rules: RuleGroups;
  let work: string;
  let live: { names: Set<string>; text: string };

  before(async () => {
    const objects = await renderChart({ prometheusRule: { enabled: true } });
    rules = (objects.find((object) => object.kind === 'PrometheusRule') as unknown as { spec: RuleGroups }).spec;
    work = await mkdtemp(path.join(os.tmpdir(), 'kaf-rules-'));
    live = await liveMetricNames();
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('passes promtool check rules (PromQL, durations, annotation templates)', async () => {
    const file = path.join(work, 'rules.yaml');
    await writeFile(file, yaml.dump(rules));
    const { stdout } = await run(await goTool('promtool'), ['check', 'rules', file]);
    assert.match(stdout, /SUCCESS: \d+ rules found/);
  });

  it('has a runbook section in docs/runbooks.md for every alert', async () => {
    const runbooks = await readFile(path.join(CHART, '../../docs/runbooks.md'), 'utf8');
    const anchors = new Set([...runbooks.matchAll(/^## (\S+)$/gm)].map((m) => m[1]!.toLowerCase()));
    for (const rule of rules.groups.flatMap((group) => group.rules)) {
      assert.ok(anchors.has(rule.alert.toLowerCase()), `docs/runbooks.md has "## ${rule.alert}"`);
      assert.match(rule.annotations!.runbook_url!, new RegExp(`docs/runbooks\\.md#${rule.alert.toLowerCase()}$`));
    }
  });

  it('uses only metrics a live agent exports (besides kube-state-metrics and up)', () => {
    for (const rule of rules.groups.flatMap((group) => group.rules)) {
      for (const name of metricNames(rule.expr)) {
        if (!EXTERNAL_SERIES.has(name)) assert.ok(live.names.has(name), `${rule.alert} uses ${name}, which /metrics does not serve`);
      }
    }
  });

  it('proves with promtool test rules that each alert fires on its condition and resolves when it clears', async () => {
    const alerts = rules.groups.flatMap((group) => group.rules).map((rule) => rule.alert);
    assert.deepEqual([...CASES.map((c) => c.alert)].sort(), [...alerts].sort(), 'one case per alert');
    // The annotations are checked by `check rules`; the unit tests compare labels.
    const bare = { groups: rules.groups.map((group) => ({ ...group, rules: group.rules.map(({ annotations: _, ...rule }) => rule) })) };
    await writeFile(path.join(work, 'rules-bare.yaml'), yaml.dump(bare));
    for (const testCase of CASES) {
      for (const { series } of testCase.series) {
        const name = /^[a-z_:]+/.exec(series)![0];
        if (!EXTERNAL_SERIES.has(name)) assert.ok(live.names.has(name), `${testCase.alert}'s test series ${name} is exported by the agent`);
      }
    }
    const tests = {
      rule_files: ['rules-bare.yaml'],
      evaluation_interval: '1m',
      tests: CASES.map((testCase) => ({
        interval: '1m',
        input_series: testCase.series,
        alert_rule_test: [
          ...testCase.quietAt.map((minute) => ({ eval_time: `${minute}m`, alertname: testCase.alert, exp_alerts: [] })),
          { eval_time: `${testCase.firingAt}m`, alertname: testCase.alert, exp_alerts: [{ exp_labels: testCase.labels }] },
        ],
      })),
    };
    await writeFile(path.join(work, 'alerts-test.yaml'), yaml.dump(tests));
    const result = await run(await goTool('promtool'), ['test', 'rules', 'alerts-test.yaml'], { cwd: work }).catch(
      (error: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(`promtool test rules failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      },
    );
    assert.match(result.stdout, /SUCCESS/);
  });

  it('builds the dashboard only from metrics a live agent exports', async () => {
    const dashboard = JSON.parse(await readFile(path.join(CHART, 'files/dashboard.json'), 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
      templating: { list: Array<{ definition?: string }> };
    };
    const expressions = [
      ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ where: panel.title, expr: target.expr }))),
      ...dashboard.templating.list.filter((v) => v.definition).map((v) => ({ where: 'variable', expr: v.definition!.replace(/^label_values\((.*), \w+\)$/, '$1') })),
    ];
    const titles = dashboard.panels.map((panel) => panel.title.toLowerCase()).join('\n');
    for (const topic of ['events shipped', 'lag', 'in flight', 'errors', 'detections per rule']) assert.match(titles, new RegExp(topic));
    for (const { where, expr } of expressions) {
      const names = metricNames(expr.replace(/\$__\w+/g, '5m'));
      assert.ok(names.length > 0, `${where}: ${expr} names a metric`);
      for (const name of names) assert.ok(live.names.has(name), `${where} uses ${name}, which /metrics does not serve`);
    }
  });
});
