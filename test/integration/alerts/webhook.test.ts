import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AgentProcess, waitUntil } from '../../helpers/agent-process.js';
import { WebhookReceiver } from '../../helpers/alerts/webhook-receiver.js';
import { sampleEvent } from '../../helpers/forward/audit-records.js';
import { makeTestCertificates, type TestCertificates } from '../../helpers/test-certificates.js';

interface Message {
  rule: string;
  matches: number;
  suppressed: number;
  auditIDs: string[];
  labels: Record<string, string>;
  text: string;
}

/** `count` kubectl execs by one user into one namespace: each matches the pod-exec-attach rule. */
function execLines(count: number, user = 'alice'): string {
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    lines.push(JSON.stringify(sampleEvent(index, {
      verb: 'create',
      requestURI: `/api/v1/namespaces/shop/pods/web-${index}/exec?command=sh`,
      user: { username: user, groups: ['system:authenticated'] },
      objectRef: { resource: 'pods', namespace: 'shop', name: `web-${index}`, subresource: 'exec', apiVersion: 'v1' },
      responseStatus: { code: 101 },
    })));
  }
  return lines.map((line) => `${line}\n`).join('');
}

async function metric(agentUrl: string, sample: string): Promise<number> {
  const text = await (await fetch(`${agentUrl}/metrics`)).text();
  return Number(text.split('\n').find((line) => line.startsWith(`${sample} `))?.split(' ')[1] ?? Number.NaN);
}

/** Detections to a webhook through the running agent: rate limit and suppression counts, mutual TLS, bearer auth. */
describe('detections to a webhook', function () {
  this.timeout(120_000);
  let dir: string;
  let tls: TestCertificates;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kaf-webhook-'));
    tls = makeTestCertificates();
    writeFileSync(path.join(dir, 'token'), 'hook-t0ken\n');
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(tls.dir, { recursive: true, force: true });
  });

  function runAgent(name: string, receiver: WebhookReceiver, lines: string, extra: string[]): AgentProcess {
    const logPath = path.join(dir, `${name}.log`);
    writeFileSync(logPath, lines);
    return new AgentProcess([
      'run', '--path', logPath, '--checkpoint-dir', path.join(dir, `${name}.checkpoint`), '--start-at', 'beginning',
      '--sink', 'file', '--file-path', path.join(dir, `${name}.out`), '--log-level', 'info',
      '--alert-webhook-url', receiver.url, '--alerts-node-name', 'cp-1', '--alerts-retry-min-ms', '100',
      ...extra,
    ]);
  }

  it('over mutual TLS with a bearer token, 2 000 matches become the burst and one message per interval counting every suppressed match', async () => {
    const receiver = new WebhookReceiver({ tls: { key: tls.serverKey, cert: tls.serverCert, ca: tls.ca }, authorization: 'Bearer hook-t0ken' });
    await receiver.start();
    const agent = runAgent('limited', receiver, execLines(2_000), [
      '--alert-webhook-ca-file', tls.caFile, '--alert-webhook-cert-file', tls.clientCertFile, '--alert-webhook-key-file', tls.clientKeyFile,
      '--alert-webhook-bearer-token-file', path.join(dir, 'token'),
      '--alert-webhook-burst', '3', '--alert-webhook-interval-ms', '1500',
    ]);
    try {
      const { url } = (await agent.waitForLog((entry) => entry.message === 'http endpoints listening')) as unknown as { url: string };
      const messages = () => receiver.bodies as Message[];
      await waitUntil(() => messages().reduce((sum, message) => sum + message.matches, 0) === 2_000, 30_000, 'every match reported');
      assert.equal(receiver.refused.length, 0, 'every request authenticated');
      assert.ok(receiver.accepted.every((request) => request.clientAuthorized), 'the client certificate was presented');
      const sent = messages();
      assert.ok(sent.length <= 8, `a handful of messages, got ${sent.length}`);
      assert.deepEqual(sent.slice(0, 3).map((message) => message.suppressed), [0, 0, 0], 'the burst goes out as it comes');
      const summaries = sent.slice(3);
      assert.ok(summaries.length >= 1 && summaries.every((message) => message.suppressed === message.matches && message.suppressed > 0));
      assert.equal(summaries.reduce((sum, message) => sum + message.suppressed, 0), 1_997);
      assert.equal(await metric(url, 'kube_audit_forwarder_alerts_suppressed_total{rule="pod-exec-attach"}'), 1_997);
      assert.deepEqual(sent[0]!.labels, { alertname: 'PodExecAttach', rule: 'pod-exec-attach', severity: 'high', node: 'cp-1', user: 'alice', namespace: 'shop', resource: 'pods' });
      assert.equal(summaries.at(-1)!.auditIDs.at(-1), '00000000-0000-4000-8000-000000001999', 'the latest suppressed auditID');
    } finally {
      agent.kill('SIGTERM');
      await agent.waitForExit();
      await receiver.stop();
    }
  });

  it('posts {"text": ...} in Slack format', async () => {
    const receiver = new WebhookReceiver();
    await receiver.start();
    const agent = runAgent('slack', receiver, execLines(1, 'bob'), ['--alert-webhook-format', 'slack']);
    try {
      await waitUntil(() => receiver.accepted.length === 1, 30_000, 'one message');
      const body = receiver.bodies[0] as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), ['text']);
      assert.match(String(body.text), /^\[high\] pod-exec-attach on cp-1: .*user=bob.*Latest: bob create pods\/exec shop\/web-0 → 101/);
    } finally {
      agent.kill('SIGTERM');
      await agent.waitForExit();
      await receiver.stop();
    }
  });

  it('a receiver refusing the credentials gets nothing more, and the drops are counted and logged', async () => {
    const receiver = new WebhookReceiver({ authorization: 'Bearer another-token' });
    await receiver.start();
    const agent = runAgent('refused', receiver, execLines(3, 'carol'), ['--alert-webhook-bearer-token-file', path.join(dir, 'token'), '--alert-webhook-burst', '5']);
    try {
      const { url } = (await agent.waitForLog((entry) => entry.message === 'http endpoints listening')) as unknown as { url: string };
      await waitUntil(async () => (await metric(url, 'kube_audit_forwarder_alerts_dropped_total{reason="rejected"}')) === 3, 30_000, 'three rejected messages counted');
      const logged = await agent.waitForLog((entry) => entry.message === 'alerts dropped' && entry.reason === 'rejected');
      assert.match(String(logged.detail), /HTTP 401/);
      assert.equal(receiver.refused.length, 3, 'each sent once, not retried');
    } finally {
      agent.kill('SIGTERM');
      await agent.waitForExit();
      await receiver.stop();
    }
  });
});
