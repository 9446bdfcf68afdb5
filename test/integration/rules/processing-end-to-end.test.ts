import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AgentProcess, CLI_PATH, waitUntil } from '../../helpers/agent-process.js';
import { CORPUS_DIR, rawLines } from '../../helpers/corpus.js';

const FIXTURES = path.resolve('test/fixtures/processors');
const FALCO_DIR = path.join(CORPUS_DIR, 'falco-k8s_audit-trace-files');

/** Clear-text secrets planted in the fixtures; the shipped file must hold none of them, in any encoding. */
const PLANTED = ['S3cr3t-Db-Passw0rd!', 'sk_live_51HxAPIkeyInStringData', 'TableRowSecretValue', 'MergePatchedPassword', 'JsonPatchedPassword', 'LastAppliedInJsonPatch', 'merge-patch-plain-token'];

/**
 * The agent as production runs it (child process, file sink) over a log mixing real Falco events
 * with the Secret/token fixtures: filtered lines are not shipped but still checkpointed, secrets
 * never reach the sink, matched events arrive annotated, every other line is shipped byte for
 * byte, and /metrics counts per rule.
 */
describe('redaction, filtering and detections in the running agent', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kaf-processors-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ships every kept event once, redacted and annotated, counts per rule, and checkpoints past dropped ones', async () => {
    const falcoLines = readdirSync(FALCO_DIR)
      .filter((name) => name !== 'fal_01_003.json')
      .flatMap((name) => rawLines(path.join(FALCO_DIR, name)));
    const fixtureLines = readdirSync(FIXTURES)
      .filter((name) => /\.jsonl?$/.test(name))
      .flatMap((name) => rawLines(path.join(FIXTURES, name)));
    const lines = [...falcoLines, ...fixtureLines];
    const logPath = path.join(dir, 'audit.log');
    writeFileSync(logPath, Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')])));
    const outPath = path.join(dir, 'out.jsonl');
    const checkpointDir = path.join(dir, 'checkpoint');

    const agent = new AgentProcess([
      'run', '--path', logPath, '--checkpoint-dir', checkpointDir, '--start-at', 'beginning',
      '--sink', 'file', '--file-path', outPath,
      '--filter-drop', 'resource=namespaces',
      '--log-level', 'info',
    ]);
    const expectedLines = lines.length - 4;
    const { url } = (await agent.waitForLog((entry) => entry.message === 'http endpoints listening')) as unknown as { url: string };
    await waitUntil(() => existsSync(outPath) && readFileSync(outPath, 'utf8').split('\n').length - 1 >= expectedLines, 60_000, 'all kept events shipped');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    agent.kill('SIGTERM');
    assert.deepEqual(await agent.waitForExit(), { code: 0, signal: null }, agent.tail());

    // Per-rule counters on /metrics.
    const sample = (name: string) => Number(metrics.split('\n').find((line) => line.startsWith(`${name} `))?.split(' ')[1] ?? NaN);
    assert.equal(sample('kube_audit_forwarder_filter_events_total{rule="resource=namespaces",action="drop"}'), 4);
    assert.equal(sample('kube_audit_forwarder_detections_total{rule="privileged-container",severity="critical"}'), 3);
    assert.equal(sample('kube_audit_forwarder_detections_total{rule="anonymous-request-allowed",severity="high"}'), 0, 'its event was dropped first');
    assert.equal(sample('kube_audit_forwarder_redacted_events_total'), fixtureLines.length);

    const shipped = readFileSync(outPath);
    const shippedText = shipped.toString('utf8');
    const shippedLines = shippedText.split('\n').filter((line) => line.length > 0);
    const dropped = lines.filter((line) => JSON.parse(line.toString('utf8')).objectRef?.resource === 'namespaces');
    assert.equal(dropped.length, 4, 'the Falco namespace create/delete events');
    assert.equal(shippedLines.length, expectedLines);

    for (const secret of PLANTED) {
      for (const form of [secret, Buffer.from(secret).toString('base64')]) assert.ok(!shippedText.includes(form), `${form} reached the sink`);
    }

    const events = shippedLines.map((line) => JSON.parse(line));
    const detections = (auditID: string) => events.find((event) => event.auditID === auditID)?.annotations?.['kube-audit-forwarder.io/detections'];
    assert.equal(detections('a362d22b-db3c-4590-9505-23782f12925f'), 'privileged-container');
    assert.equal(detections('c97244c7-4aec-4714-946a-8204d00ecdca'), 'cluster-admin-binding');
    const redacted = events.filter((event) => event.annotations?.['kube-audit-forwarder.io/redacted'] !== undefined);
    assert.equal(redacted.length, fixtureLines.length);

    // Events that neither held a secret nor matched a rule are shipped exactly as written.
    const shippedSet = new Set(shippedLines);
    const untouched = lines.filter((line) => !dropped.includes(line) && shippedSet.has(line.toString('utf8')));
    // 51 Falco events, 4 dropped, 28 matched (29 minus the dropped anonymous namespace create).
    assert.equal(untouched.length, 51 - 4 - 28, 'every unmatched Falco event byte-identical');

    // Dropped lines count as handled: the checkpoint reached the end of the file.
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [CLI_PATH, 'checkpoints', '--checkpoint-dir', checkpointDir, '--json']);
    const [position] = JSON.parse(stdout).files;
    assert.equal(position.offset, statSync(logPath).size);
  });
});
