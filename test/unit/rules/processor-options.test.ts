import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../src/config-error.js';
import { processorOptions } from '../../../src/rules/processor-options.js';
import { builtinRules } from '../../../src/rules/detection/rule-set.js';
import { parseOptions } from '../../../src/yargs-options.js';

/** Parses like the CLI does: the group's yargs definitions, KAF_* environment variables. */
function read(args: string[], env: Record<string, string> = {}) {
  return processorOptions.read(parseOptions(processorOptions.options, args, env));
}

describe('processor options', () => {
  it('defaults: built-in redaction and every built-in detection on, no filters', () => {
    const config = read([]);
    assert.equal(config.redaction, true);
    assert.deepEqual(config.redactPaths, []);
    assert.deepEqual(config.filters, []);
    assert.equal(config.detections, true);
    assert.equal(config.rules.length, builtinRules().length);
  });

  it('reads flags: --no-redaction, repeated --redact, filter rules split on ";", disabled rules; accepts the alert targets', () => {
    const config = read([
      '--no-redaction',
      '--redact', 'ConfigMap:data.*',
      '--redact', 'requestObject.spec.password',
      '--filter-drop', 'verb=get,list,watch user=system:node:*; resource=leases',
      '--filter-keep', 'resource=secrets',
      '--disable-rule', 'pod-exec-attach,impersonation',
      '--alerts-kafka-topic', 'k8s-audit-alerts',
      '--alerts-forward-tag', 'k8s.audit.alert',
    ]);
    assert.equal(config.redaction, false);
    assert.deepEqual(config.redactPaths.map((p) => p.text), ['ConfigMap:data.*', 'requestObject.spec.password']);
    assert.deepEqual(config.filters.map((f) => `${f.action} ${f.name}`), ['keep resource=secrets', 'drop verb=get,list,watch user=system:node:*', 'drop resource=leases']);
    assert.equal(config.rules.length, builtinRules().length - 2);
  });

  it('reads the same settings from KAF_* environment variables', () => {
    const config = read([], { KAF_REDACTION: 'false', KAF_FILTER_DROP: 'code>=500', KAF_DETECTIONS: 'false' });
    assert.equal(config.redaction, false);
    assert.deepEqual(config.filters.map((f) => f.name), ['code>=500']);
    assert.deepEqual(config.rules, []);
  });

  it('puts --filter-file rules before the flags', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kaf-filters-')), 'filters.yaml');
    writeFileSync(file, 'filters:\n  - name: keep-anonymous\n    action: keep\n    match: {user: system:anonymous}\n');
    const config = read(['--filter-file', file, '--filter-drop', 'verb=create']);
    assert.deepEqual(config.filters.map((f) => f.name), ['keep-anonymous', 'verb=create']);
  });

  for (const [args, message] of [
    [['--redact', 'data..x'], /--redact: bad path/],
    [['--filter-drop', 'verb'], /--filter-drop: "verb" is not field=value/],
    [['--filter-file', '/nonexistent/filters.yaml'], /--filter-file: cannot read/],
    [['--rules-file', '/nonexistent/rules.yaml'], /--rules-file: cannot read/],
    [['--disable-rule', 'no-such-rule'], /--disable-rule "no-such-rule" names no rule/],
  ] as Array<[string[], RegExp]>) {
    it(`fails with a ConfigError naming the flag for ${args.join(' ')}`, () => {
      assert.throws(() => read(args), (error: unknown) => error instanceof ConfigError && message.test(error.message));
    });
  }
});
