import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AgentProcess, waitUntil } from '../../helpers/agent-process.js';
import { AlertmanagerProcess, type ApiAlert } from '../../helpers/alerts/alertmanager-process.js';
import { AuditEventFactory } from '../../helpers/audit-event-factory.js';
import { CORPUS_DIR, rawLines } from '../../helpers/corpus.js';
import { freePort } from '../../helpers/forward/server-scripts.js';
import { readFileSinkOutput } from '../../helpers/sink-output.js';
import { makeTestCertificates } from '../../helpers/test-certificates.js';
import { expectedAlerts, labelKey } from './expected-alerts.js';

const FALCO_DIR = path.join(CORPUS_DIR, 'falco-k8s_audit-trace-files');
const NODE = 'cp-test-1';
/** bcrypt (cost 10) of 'am-test-passw0rd', for Alertmanager's web config (made once with golang.org/x/crypto/bcrypt). */
const PASSWORD_HASH = '$2a$10$GC1/FDbBSYpHP/GQVo7yKOdTty5F26J.w3rwA0sxmUDz9Tl3bJnO2';

/** The Falco trace files: 51 real events, most of which match a built-in detection. */
function falcoLines(): string[] {
  return readdirSync(FALCO_DIR)
    .filter((name) => name !== 'fal_01_003.json')
    .flatMap((name) => rawLines(path.join(FALCO_DIR, name)).map((line) => line.toString('utf8')));
}

async function metric(agentUrl: string, sample: string): Promise<number> {
  const text = await (await fetch(`${agentUrl}/metrics`)).text();
  return Number(text.split('\n').find((line) => line.startsWith(`${sample} `))?.split(' ')[1] ?? Number.NaN);
}

/** The (auditID, stage) of every complete line the file sink wrote: the agent may be mid-line. */
function shippedKeys(file: string): Set<string> {
  return new Set(readFileSinkOutput(file).keys);
}

/** Whether Alertmanager lists exactly the expected alerts, each with all its matches. */
function sameAlerts(listed: ApiAlert[], expected: ReturnType<typeof expectedAlerts>): boolean {
  if (listed.length !== expected.size) return false;
  return listed.every((alert) => expected.get(labelKey(alert.labels))?.matches === Number(alert.annotations.matches));
}

/**
 * Detections reach a real Prometheus Alertmanager (built from the Go module proxy) through its
 * API v2, and shipping never depends on it: the alerts are read back from Alertmanager's own API.
 */
describe('detections as alerts in a real Alertmanager', function () {
  this.timeout(600_000);
  let dir: string;
  before(async function () {
    this.timeout(1_200_000);
    await AlertmanagerProcess.binary(); // a cold build takes minutes; not part of any test's time
    dir = mkdtempSync(path.join(tmpdir(), 'kaf-alertmanager-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function agentFor(name: string, logPath: string, alertmanagerUrl: string, extra: string[] = []): { agent: AgentProcess; out: string } {
    const out = path.join(dir, `${name}.out.jsonl`);
    const agent = new AgentProcess([
      'run', '--path', logPath, '--checkpoint-dir', path.join(dir, `${name}.checkpoint`), '--start-at', 'beginning',
      '--sink', 'file', '--file-path', out, '--log-level', 'info',
      '--alertmanager-url', alertmanagerUrl, '--alerts-node-name', NODE,
      '--alerts-resend-interval-ms', '1000', '--alerts-retry-min-ms', '100', '--alerts-retry-max-ms', '1000',
      ...extra,
    ]);
    return { agent, out };
  }

  it('a replay of the Falco corpus raises one alert per rule and subject, with its auditIDs and first event time, grouped as the route says', async () => {
    const alertmanager = new AlertmanagerProcess(await freePort(), path.join(dir, 'am-replay'), ['alertname', 'namespace']);
    await alertmanager.start();
    const lines = falcoLines();
    const logPath = path.join(dir, 'replay.log');
    writeFileSync(logPath, lines.map((line) => `${line}\n`).join(''));
    const expected = expectedAlerts(lines, NODE);
    assert.ok(expected.size >= 10, `the corpus matches many rule/subject pairs (${expected.size})`);
    const { agent } = agentFor('replay', logPath, alertmanager.url, ['--alerts-resolve-after-ms', '600000']);
    try {
      let listed: ApiAlert[] = [];
      await waitUntil(async () => sameAlerts((listed = await alertmanager.alerts()), expected), 60_000, 'the expected alerts in Alertmanager').catch((error: Error) => {
        throw new Error(`${error.message}\nlisted: ${JSON.stringify(listed.map((alert) => [alert.labels, alert.annotations.matches]))}\nagent: ${agent.tail()}`);
      });
      for (const alert of listed) {
        const want = expected.get(labelKey(alert.labels))!;
        assert.deepEqual(new Set(alert.annotations.auditIDs!.split(',')), new Set([...want.auditIDs].slice(-10)), `auditIDs of ${alert.labels.rule}`);
        assert.equal(Date.parse(alert.startsAt), want.startsAt, `startsAt of ${alert.labels.rule} is its first event's time`);
        assert.ok(Date.parse(alert.endsAt) > Date.now(), 'still firing');
        assert.equal(alert.status.state, 'active');
        for (const annotation of ['summary', 'description', 'remediation']) assert.ok(alert.annotations[annotation], `${annotation} of ${alert.labels.rule}`);
      }
      const privileged = listed.find((alert) => alert.labels.rule === 'privileged-container')!;
      assert.match(privileged.annotations.description!, /^system:serviceaccount:kube-system:replicaset-controller create pods default → 201 from ::1$/);

      const groups = await alertmanager.groups();
      const wantGroups = new Set([...expected.values()].map((alert) => JSON.stringify([alert.labels.alertname, alert.labels.namespace ?? ''])));
      assert.equal(groups.length, wantGroups.size, 'one group per alertname and namespace');
      for (const group of groups) {
        assert.deepEqual(Object.keys(group.labels).sort(), group.labels.namespace === undefined ? ['alertname'] : ['alertname', 'namespace']);
        for (const alert of group.alerts) {
          assert.equal(alert.labels.alertname, group.labels.alertname);
          assert.equal(alert.labels.namespace, group.labels.namespace);
        }
      }
      assert.equal(groups.reduce((sum, group) => sum + group.alerts.length, 0), expected.size);
    } finally {
      agent.kill('SIGTERM');
      await agent.waitForExit();
      await alertmanager.stop();
    }
  });

  it('with Alertmanager down the agent ships every event all the same, and the alerts arrive once it is up', async () => {
    const port = await freePort();
    const alertmanager = new AlertmanagerProcess(port, path.join(dir, 'am-down'), ['alertname']);
    const factory = new AuditEventFactory({ seed: 15 });
    const lines = [...factory.lines(20_000), ...falcoLines()];
    const logPath = path.join(dir, 'down.log');
    writeFileSync(logPath, lines.map((line) => `${line}\n`).join(''));
    const written = new Set(lines.map((line) => {
      const event = JSON.parse(line) as { auditID: string; stage: string };
      return `${event.auditID}/${event.stage}`;
    }));
    const { agent, out } = agentFor('down', logPath, alertmanager.url, ['--alerts-resolve-after-ms', '600000']);
    try {
      const { url } = (await agent.waitForLog((entry) => entry.message === 'http endpoints listening')) as unknown as { url: string };
      await waitUntil(() => shippedKeys(out).size === written.size, 120_000, 'every event shipped while Alertmanager is down');
      assert.deepEqual(shippedKeys(out), written, 'every (auditID, stage) delivered');
      await waitUntil(async () => (await metric(url, 'kube_audit_forwarder_alert_posts_failed_total{receiver="alertmanager"}')) > 0, 10_000, 'failed alert POSTs counted');
      assert.ok(agent.logsWith('alert receiver unreachable; retrying with backoff').length === 1, 'the outage is logged once, not per attempt');

      await alertmanager.start();
      const expected = expectedAlerts(lines, NODE);
      await waitUntil(async () => sameAlerts(await alertmanager.alerts(), expected), 60_000, 'the alerts raised during the outage in Alertmanager');
      await agent.waitForLog((entry) => entry.message === 'alert receiver reachable again', 10_000);

      // New matches after the outage go out at once.
      const exec = JSON.parse(lines.find((line) => line.includes('"subresource":"exec"') && line.includes('ResponseComplete'))!) as Record<string, unknown>;
      const late = { ...exec, auditID: 'a1e27000-0000-4000-8000-000000000015', user: { username: 'late-user', groups: ['system:authenticated'] } };
      appendFileSync(logPath, `${JSON.stringify(late)}\n`);
      await waitUntil(async () => (await alertmanager.alerts()).some((alert) => alert.labels.user === 'late-user' && alert.annotations.auditIDs === late.auditID), 30_000, 'the late match in Alertmanager');
    } finally {
      agent.kill('SIGTERM');
      await agent.waitForExit();
      await alertmanager.stop();
    }
  });

  it('sends every alert to each Alertmanager of an HA pair; one being down delays nothing at the other, and it catches up when back', async () => {
    const up = new AlertmanagerProcess(await freePort(), path.join(dir, 'am-ha-up'), ['alertname']);
    const down = new AlertmanagerProcess(await freePort(), path.join(dir, 'am-ha-down'), ['alertname']);
    await up.start();
    const lines = falcoLines();
    const logPath = path.join(dir, 'ha.log');
    writeFileSync(logPath, lines.map((line) => `${line}\n`).join(''));
    const expected = expectedAlerts(lines, NODE);
    const { agent } = agentFor('ha', logPath, `${up.url},${down.url}`, ['--alerts-resolve-after-ms', '600000']);
    try {
      await waitUntil(async () => sameAlerts(await up.alerts(), expected), 60_000, 'every alert at the instance that is up');
      await down.start();
      await waitUntil(async () => sameAlerts(await down.alerts(), expected), 60_000, 'every alert at the instance that came back');
    } finally {
      agent.kill('SIGTERM');
      await agent.waitForExit();
      await Promise.all([up.stop(), down.stop()]);
    }
  });

  it('an alert without matches for the quiet period is resolved while the agent keeps running', async () => {
    const alertmanager = new AlertmanagerProcess(await freePort(), path.join(dir, 'am-quiet'), ['alertname']);
    await alertmanager.start();
    const lines = falcoLines().filter((line) => line.includes('"subresource":"exec"'));
    assert.ok(lines.length > 0);
    const logPath = path.join(dir, 'quiet.log');
    writeFileSync(logPath, lines.map((line) => `${line}\n`).join(''));
    const { agent } = agentFor('quiet', logPath, alertmanager.url, ['--alerts-resolve-after-ms', '4000']);
    try {
      await waitUntil(async () => (await alertmanager.alerts()).some((alert) => alert.labels.rule === 'pod-exec-attach'), 30_000, 'the exec alert firing');
      const firedAt = Date.now();
      await waitUntil(async () => (await alertmanager.alerts()).length === 0, 30_000, 'the alert resolved');
      assert.ok(Date.now() - firedAt >= 2_000, 'not before the quiet period');
      assert.equal(agent.logsWith('agent stopped').length, 0, 'resolved by the agent, which still runs');
    } finally {
      agent.kill('SIGTERM');
      await agent.waitForExit();
      await alertmanager.stop();
    }
  });

  it('reaches an Alertmanager that serves TLS with basic auth (its web config), the password read from a file; a wrong one is rejected and counted', async () => {
    const tls = makeTestCertificates();
    const security = { certFile: tls.serverCertFile, keyFile: tls.serverKeyFile, ca: tls.ca, username: 'alerts', password: 'am-test-passw0rd', passwordHash: PASSWORD_HASH };
    const alertmanager = new AlertmanagerProcess(await freePort(), path.join(dir, 'am-tls'), ['alertname'], security);
    await alertmanager.start();
    const lines = falcoLines().filter((line) => line.includes('"subresource":"exec"'));
    const logPath = path.join(dir, 'tls.log');
    writeFileSync(logPath, lines.map((line) => `${line}\n`).join(''));
    writeFileSync(path.join(dir, 'am-password'), 'am-test-passw0rd\n');
    writeFileSync(path.join(dir, 'wrong-password'), 'guess\n');
    const tlsArgs = (passwordFile: string) => ['--alertmanager-ca-file', tls.caFile, '--alertmanager-basic-auth-username', 'alerts', '--alertmanager-basic-auth-password-file', passwordFile];
    const { agent } = agentFor('tls', logPath, alertmanager.url, tlsArgs(path.join(dir, 'am-password')));
    const { agent: refused } = agentFor('tls-wrong', logPath, alertmanager.url, tlsArgs(path.join(dir, 'wrong-password')));
    try {
      await waitUntil(async () => (await alertmanager.alerts()).some((alert) => alert.labels.rule === 'pod-exec-attach'), 30_000, 'the exec alert in Alertmanager');
      const { url } = (await refused.waitForLog((entry) => entry.message === 'http endpoints listening')) as unknown as { url: string };
      await waitUntil(async () => (await metric(url, 'kube_audit_forwarder_alerts_dropped_total{reason="rejected"}')) > 0, 30_000, 'the wrong password rejected');
      assert.match(String((await refused.waitForLog((entry) => entry.message === 'alerts dropped')).detail), /HTTP 401/);
    } finally {
      for (const running of [agent, refused]) {
        running.kill('SIGTERM');
        await running.waitForExit();
      }
      await alertmanager.stop();
      rmSync(tls.dir, { recursive: true, force: true });
    }
  });
});
