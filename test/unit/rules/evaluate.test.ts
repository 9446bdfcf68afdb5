import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { evaluateFiles, formatEvaluation, runEvaluate } from '../../../src/commands/evaluate.js';
import { parseFilterExpression } from '../../../src/rules/filter/filter-rule.js';
import { builtinRules, loadRuleSet } from '../../../src/rules/detection/rule-set.js';
import { CLI_PATH } from '../../helpers/agent-process.js';
import { corpusPath, writtenEvent } from './written-events.js';

const FALCO_DIR = corpusPath('falco-k8s_audit-trace-files');
const falcoFiles = () => readdirSync(FALCO_DIR).map((name) => path.join(FALCO_DIR, name));

describe('the evaluate command', () => {
  it('runs the built-in rules over the Falco trace files and reports each match with file and line', async () => {
    const summary = await evaluateFiles(falcoFiles(), builtinRules(), []);
    assert.equal(summary.events, 51);
    assert.equal(summary.skipped, 1, 'fal_01_003.json ({"kind": 0}) is not an event');
    assert.equal(summary.matches.length, 29);
    const configmap = summary.matches.filter((match) => match.file.endsWith('create_configmap_sensitive_values.json'));
    assert.deepEqual(configmap.map((match) => match.line), [1, 2, 3, 4, 5, 6]);
    assert.equal(summary.perRule.get('privileged-container'), 3);
    const table = formatEvaluation(summary, new Map(builtinRules().map((rule) => [rule.id, rule])));
    assert.match(table, /^FILE:LINE\s+RULE\s+SEVERITY\s+MITRE\s+USER\s+VERB\s+OBJECT\s+AUDIT ID$/m);
    assert.match(table, /exec_pod\.json:1\s+pod-exec-attach\s+high\s+T1609\s+minikube-user\s+create\s+pods\/exec default\/nginx-deployment-7998647bdf-phvq7/);
    assert.match(table, /^  pod-exec-attach: 2 \(Confirm the user meant to open a shell here/m);
    assert.match(table, /^51 events, 29 matched, 0 filtered out, 1 not audit events$/m);
  });

  it('reads single-document files too: a pretty-printed event, a webhook EventList, an AKS Event Hubs export', async () => {
    const summary = await evaluateFiles(
      [
        corpusPath('sysdig-aks-audit-log-samples', 'sample_KubeAuditLog_event.json'),
        corpusPath('sysdig-aks-audit-log-samples', 'event.json'),
        corpusPath('derived', 'k8s-website-audit-doc-2017.v1alpha1-webhook-EventList.json'),
      ],
      builtinRules(),
      [],
    );
    assert.equal(summary.events, 1 + 22 + 1);
  });

  it('skips events a drop filter removes, as the agent would', async () => {
    const summary = await evaluateFiles(falcoFiles(), builtinRules(), [parseFilterExpression('user=system:serviceaccount:*', 'drop')]);
    assert.equal(summary.filteredOut, 10, 'the 10 pods the replicaset controller creates');
    assert.equal(summary.perRule.get('privileged-container'), 0);
  });

  it('applies --rules-file and --disable-rule and prints JSON lines with --json', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kaf-evaluate-'));
    const log = path.join(dir, 'audit.log');
    writeFileSync(log, [writtenEvent({ verb: 'delete', objectRef: { resource: 'namespaces', name: 'prod' } }), writtenEvent()].map((e) => JSON.stringify(e)).join('\n') + '\n');
    const rules = path.join(dir, 'rules.yaml');
    writeFileSync(rules, 'rules:\n  - id: namespace-deleted\n    severity: high\n    match: {resource: namespaces, verb: delete}\n');
    const lines: string[] = [];
    const code = await runEvaluate({ files: [log], 'rules-file': rules, 'disable-rule': '*-*-*', json: true }, (text) => lines.push(text));
    assert.equal(code, 0);
    assert.deepEqual(lines.map((line) => JSON.parse(line).rules), [['namespace-deleted']]);
    assert.equal(JSON.parse(lines[0]!).line, 1);
  });

  it('prints each match as JSON with --format json: who did what, and each matched rule with its severity, MITRE ids, description and remediation', async () => {
    const lines: string[] = [];
    const code = await runEvaluate({ files: [path.join(FALCO_DIR, 'attach_cluster_admin_role.json')], format: 'json' }, (text) => lines.push(text));
    assert.equal(code, 0);
    assert.equal(lines.length, 1);
    const match = JSON.parse(lines[0]!);
    assert.equal(match.verb, 'create');
    assert.match(match.object, /^clusterrolebindings /);
    assert.deepEqual(match.rules, ['cluster-admin-binding']);
    assert.deepEqual(Object.keys(match.detections[0]), ['rule', 'severity', 'mitre', 'description', 'remediation']);
    assert.deepEqual([match.detections[0].severity, match.detections[0].mitre], ['critical', ['T1098.006']]);
    const listed: string[] = [];
    await runEvaluate({ 'list-rules': true, format: 'json' }, (text) => listed.push(text));
    assert.ok(listed.map((line) => JSON.parse(line)).every((rule) => rule.builtin === true && rule.mitre !== undefined && rule.remediation));
  });

  it('is wired into the CLI: exit 0 with a table, exit 2 on a bad rule option', async () => {
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [CLI_PATH, 'evaluate', path.join(FALCO_DIR, 'attach_cluster_admin_role.json')]);
    assert.match(stdout, /attach_cluster_admin_role\.json:1\s+cluster-admin-binding\s+critical/);
    await assert.rejects(run(process.execPath, [CLI_PATH, 'evaluate', '--format', 'yaml', FALCO_DIR]), (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr ?? '', /--format/);
      return true;
    });
    await assert.rejects(run(process.execPath, [CLI_PATH, 'evaluate', '--disable-rule', 'nope', FALCO_DIR]), (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr ?? '', /--disable-rule "nope" names no rule/);
      return true;
    });
  });

  it('warns on stderr about a filter on a field no audit event has, and still prints its table', async () => {
    const run = promisify(execFile);
    const { stdout, stderr } = await run(process.execPath, [CLI_PATH, 'evaluate', '--filter-drop', 'user.name=x', path.join(FALCO_DIR, 'attach_cluster_admin_role.json')]);
    assert.equal(stderr, 'warning: filter "user.name=x" reads user.name, which no audit event has: user has no "name" (it has username, uid, groups, extra)\n');
    assert.match(stdout, /attach_cluster_admin_role\.json:1\s+cluster-admin-binding\s+critical/);
  });

  it('exits 2 with one line, not a stack trace, for a file argument that is missing or a directory', async () => {
    const run = promisify(execFile);
    const missing = path.join(FALCO_DIR, 'no-such-file.json');
    for (const [file, message] of [
      [missing, `evaluate: ${missing}: no such file`],
      [FALCO_DIR, `evaluate: ${FALCO_DIR} is a directory; give the files in it (e.g. ${FALCO_DIR}/*.json)`],
    ] as const) {
      await assert.rejects(run(process.execPath, [CLI_PATH, 'evaluate', file]), (error: { code?: number; stderr?: string }) => {
        assert.equal(error.code, 2, error.stderr);
        assert.equal(error.stderr, `kube-audit-forwarder: configuration error: ${message}\n`);
        return true;
      });
    }
  });
});

describe('the example rules file', () => {
  it('loads, replaces the built-in burst rule and fires on real events', async () => {
    const rules = loadRuleSet({ rulesFiles: [path.resolve('test/fixtures/processors/example-rules.yaml')], disabledRules: [] });
    assert.equal(rules.find((rule) => rule.id === 'auth-failure-burst')!.builtin, false);
    const summary = await evaluateFiles(falcoFiles(), rules, []);
    // Falco's 10 pod creates and 1 Deployment all run Docker Hub's nginx; the kube-system pod is exempt.
    assert.equal(summary.perRule.get('untrusted-image'), 10);
    assert.equal(summary.perRule.get('write-failed-server-side'), 0);
  });
});
