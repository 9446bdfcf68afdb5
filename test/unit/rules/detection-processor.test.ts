import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { ConfigError } from '../../../src/config-error.js';
import { DETECTION_DETAILS_ANNOTATION, DETECTIONS_ANNOTATION, DetectionProcessor } from '../../../src/rules/detection/detection-processor.js';
import { builtinRules, loadRuleSet } from '../../../src/rules/detection/rule-set.js';
import { corpusPath, corpusRecords } from './written-events.js';

const falco = (file: string) => corpusRecords(corpusPath('falco-k8s_audit-trace-files', file))[0]!;

function rulesFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'kaf-rules-')), 'rules.yaml');
  writeFileSync(file, text);
  return file;
}

describe('the detections processor', () => {
  it('annotates a matched real event with the rule ids, sets record.detections and counts per rule', async () => {
    const registry = new Registry();
    const processor = new DetectionProcessor(builtinRules(), registry);
    const record = falco('create_nginx_pod_privileged.json');
    const original = record.value;
    assert.equal(processor.process(record), 'keep');
    assert.deepEqual(record.detections, ['privileged-container']);
    const shipped = JSON.parse(record.value.toString('utf8'));
    assert.equal(shipped.annotations[DETECTIONS_ANNOTATION], 'privileged-container');
    const details = shipped.annotations[DETECTION_DETAILS_ANNOTATION];
    assert.deepEqual(JSON.parse(details), [
      {
        rule: 'privileged-container',
        severity: 'critical',
        mitre: ['T1611', 'T1610'],
        description: '#7 A pod or workload asks for a privileged container',
        remediation: 'Remove privileged: true; enforce the baseline or restricted Pod Security Standard on the namespace.',
      },
    ]);
    // Two members spliced in; every other byte is the line's own.
    const added = `"${DETECTIONS_ANNOTATION}":"privileged-container","${DETECTION_DETAILS_ANNOTATION}":${JSON.stringify(details)},`;
    assert.equal(record.value.length, original.length + Buffer.byteLength(added));
    const metrics = await registry.metrics();
    assert.match(metrics, /kube_audit_forwarder_detections_total\{rule="privileged-container",severity="critical"\} 1/);
    assert.match(metrics, /kube_audit_forwarder_detections_total\{rule="nodeport-service",severity="medium"\} 0/);
  });

  it('leaves an event no rule matches untouched: same bytes, no detections field', () => {
    const record = falco('create_nginx_pod_unprivileged.json');
    const original = record.value;
    new DetectionProcessor(builtinRules(), new Registry()).process(record);
    assert.equal(record.value, original);
    assert.equal(record.detections, undefined);
  });

  it('lists every matching rule in one annotation, including rules whose resource is a glob (not indexed)', () => {
    const rules = loadRuleSet({
      rulesFiles: [rulesFile('rules:\n  - id: any-pod-create\n    severity: info\n    match: {resource: \"pod?\", verb: create}\n')],
      disabledRules: [],
    });
    const record = falco('create_nginx_pod_hostnetwork.json');
    new DetectionProcessor(rules, new Registry()).process(record);
    assert.deepEqual(record.detections, ['host-namespace-pod', 'any-pod-create']);
    assert.equal(JSON.parse(record.value.toString('utf8')).annotations[DETECTIONS_ANNOTATION], 'host-namespace-pod,any-pod-create');
  });
});

describe('the rule set', () => {
  it('holds at least 20 built-in rules with unique ids', () => {
    const ids = builtinRules().map((rule) => rule.id);
    assert.ok(ids.length >= 20);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('switches built-ins off by id or glob', () => {
    const rules = loadRuleSet({ rulesFiles: [], disabledRules: ['pod-exec-attach', 'secrets-*'] });
    const ids = rules.map((rule) => rule.id);
    assert.ok(!ids.includes('pod-exec-attach'));
    assert.ok(!ids.some((id) => id.startsWith('secrets-')));
    assert.equal(ids.length, builtinRules().length - 3);
    assert.deepEqual(loadRuleSet({ rulesFiles: [], disabledRules: ['*'] }), []);
  });

  it('lets a user rule replace a built-in of the same id (here: a lower burst threshold)', () => {
    const file = rulesFile(`rules:
  - id: auth-failure-burst
    description: stricter
    severity: critical
    responses: failed
    match: {code: 403}
    threshold: {count: 3, windowSeconds: 3600, groupBy: impersonatedUser.username}
`);
    const rules = loadRuleSet({ rulesFiles: [file], disabledRules: [] });
    const burst = rules.find((rule) => rule.id === 'auth-failure-burst')!;
    assert.equal(burst.builtin, false);
    assert.equal(burst.severity, 'critical');
    // audit2rbac: bob (impersonated) is refused 11 times within 34 minutes → fires on the 3rd, 6th and 9th.
    const processor = new DetectionProcessor(rules, new Registry());
    const fired = corpusRecords(corpusPath('audit2rbac-demo-v1.log'))
      .map((record) => processor.evaluate(record.event))
      .filter((ids) => ids.includes('auth-failure-burst')).length;
    assert.equal(fired, 3);
  });

  const invalid: Array<[string, string, RegExp]> = [
    ['a rule without conditions', 'rules:\n  - id: empty\n', /rule empty: needs "match" or "any"/],
    ['an unknown operator', 'rules:\n  - id: op\n    match: {code: {above: 3}}\n', /rule op: match\.code: unknown operator "above"/],
    ['a bad severity', 'rules:\n  - id: sev\n    severity: urgent\n    match: {verb: get}\n', /severity must be one of/],
    ['a bad id', 'rules:\n  - id: Bad_Id\n    match: {verb: get}\n', /rule id must be lower-case/],
    ['an unknown key', 'rules:\n  - id: typo\n    mach: {verb: get}\n    match: {verb: get}\n', /unknown key\(s\) mach/],
    ['a duplicate id', 'rules:\n  - id: twice\n    match: {verb: get}\n  - id: twice\n    match: {verb: list}\n', /"twice" appears twice/],
    ['YAML that does not parse', 'rules: [\n', /not valid YAML/],
    ['a bad regex', 'rules:\n  - id: re\n    match: {uri: {regex: "("}}\n', /bad regex/],
  ];
  for (const [name, text, message] of invalid) {
    it(`refuses a rules file with ${name}, naming the file`, () => {
      const file = rulesFile(text);
      assert.throws(
        () => loadRuleSet({ rulesFiles: [file], disabledRules: [] }),
        (error: unknown) => error instanceof ConfigError && message.test(error.message) && error.message.includes(file),
      );
    });
  }

  it('refuses a --disable-rule that names no rule', () => {
    assert.throws(() => loadRuleSet({ rulesFiles: [], disabledRules: ['pod-exce-attach'] }), /--disable-rule "pod-exce-attach" names no rule/);
  });
});
