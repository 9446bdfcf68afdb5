import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { parseCommandLine } from '../../../src/command-line.js';
import { ConfigError } from '../../../src/config-error.js';
import { envName } from '../../../src/config-values.js';
import type { OptionGroup, OptionKind } from '../../../src/option-group.js';
import { runOptionGroups } from '../../../src/run-option-groups.js';
import { sinkDefinitions } from '../../../src/sinks/registry.js';

/**
 * Generated from the option definitions: every option of every `run` group, from the flag and
 * from its KAF_* variable, so an option added later is covered without touching this file.
 */

/** What a sink needs before its other options can be read at all. */
const SINK_REQUIREMENTS: Record<string, string[]> = {
  kafka: ['--kafka-brokers', '127.0.0.1:9092'],
  forward: ['--forward-servers', '127.0.0.1:24224'],
};

/** A value of each kind that must be rejected. Strings have none in general. */
const INVALID: Partial<Record<OptionKind, string>> = { boolean: 'maybe', integer: 'many', size: '10x', choice: 'nosuch' };

const TRUE_SPELLINGS = ['true', 'TRUE', 'True', '1', 'yes', 'YES', 'on', 'On'];
const FALSE_SPELLINGS = ['false', 'FALSE', 'False', '0', 'no', 'No', 'off', 'OFF'];

type Outcome = { config: string } | { error: string };

/** The arguments that select the group's sink (and satisfy its required options), if it is a sink's. */
function contextFor(group: OptionGroup<unknown>): string[] {
  const sink = sinkDefinitions.find((definition) => definition.optionGroup === group);
  return sink ? ['--sink', sink.name, ...(SINK_REQUIREMENTS[sink.name] ?? [])] : [];
}

async function outcome(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const invocation = await parseCommandLine(['run', ...args], env);
    assert.equal(invocation?.command, 'run');
    return { config: inspect({ ...invocation.config, sink: invocation.config.sink.name }, { depth: Infinity }) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { error: error.message };
  }
}

async function config(args: string[], env: Record<string, string> = {}): Promise<string> {
  const result = await outcome(args, env);
  if ('error' in result) assert.fail(`${args.join(' ')} ${inspect(env)} was rejected: ${result.error}`);
  return result.config;
}

async function errorOf(args: string[], env: Record<string, string> = {}): Promise<string> {
  const result = await outcome(args, env);
  if ('config' in result) assert.fail(`${args.join(' ')} ${inspect(env)} was accepted`);
  return result.error;
}

const groups = runOptionGroups();
const options = groups.flatMap((group) => Object.entries(group.options).map(([flag, spec]) => ({ group, flag, spec, context: contextFor(group) })));

describe('settings: every option, from the flag and from the environment', function () {
  this.timeout(120_000);

  it('covers every option of every group', () => {
    assert.ok(options.length > 70, `${options.length} options`);
    for (const { flag, spec } of options) assert.ok(spec.kind, `--${flag} has a kind`);
  });

  it('rejects a value of the wrong kind with one message naming the flag or the variable as given', async () => {
    for (const { flag, spec, context } of options) {
      const bad = INVALID[spec.kind];
      if (bad === undefined) continue;
      assert.equal(await errorOf([...context, `--${flag}=${bad}`]), `--${flag}: "${bad}" is not ${expectedKindText(spec.kind, spec.choices)}`);
      assert.equal(await errorOf(context, { [envName(flag)]: bad }), `${envName(flag)}: "${bad}" is not ${expectedKindText(spec.kind, spec.choices)}`);
    }
  });

  it('reads every boolean spelling (true/false, 1/0, yes/no, on/off, any case) from both sources, and nothing else', async () => {
    const booleans = options.filter(({ spec }) => spec.kind === 'boolean');
    assert.ok(booleans.length >= 9, `${booleans.length} booleans`);
    for (const { flag, context } of booleans) {
      const on = await config([...context, `--${flag}`]);
      const off = await config([...context, `--no-${flag}`]);
      assert.notEqual(on, off, `--${flag} changes the configuration`);
      for (const [spellings, expected] of [[TRUE_SPELLINGS, on], [FALSE_SPELLINGS, off]] as const) {
        for (const spelling of spellings) {
          assert.equal(await config([...context, `--${flag}=${spelling}`]), expected, `--${flag}=${spelling}`);
          assert.equal(await config(context, { [envName(flag)]: spelling }), expected, `${envName(flag)}=${spelling}`);
        }
      }
      // A boolean never swallows the next word: `--redaction yes` is an unknown argument, not a silent false.
      assert.match(await errorOf([...context, `--${flag}`, 'yes']), /Unknown argument: yes/);
    }
  });

  it('treats an empty variable as unset and accepts every default given explicitly, from either source', async () => {
    for (const { group, flag, spec, context } of options) {
      const baseline = await config(context);
      assert.equal(await config(context, { [envName(flag)]: '' }), baseline, `${envName(flag)}=""`);
      if (spec.default === undefined || (group.title === 'Sink:' && context.length === 0 && flag !== 'sink')) continue;
      assert.equal(await config([...context, `--${flag}=${String(spec.default)}`]), baseline, `--${flag}=${String(spec.default)}`);
      assert.equal(await config(context, { [envName(flag)]: String(spec.default) }), baseline, `${envName(flag)}=${String(spec.default)}`);
    }
  });

  it('gives the same outcome for any value from the flag as from the variable', async () => {
    for (const { flag, spec, context } of options) {
      if (context.includes(`--${flag}`)) continue; // the flag would replace the context's own value
      const value = spec.kind === 'string' ? 'example-value' : spec.kind === 'choice' ? spec.choices!.at(-1)! : spec.kind === 'boolean' ? 'on' : '4096';
      const fromFlag = await outcome([...context, `--${flag}=${value}`]);
      const fromEnv = await outcome(context, { [envName(flag)]: value });
      // Messages and warnings name the option as given; apart from that the two must not differ.
      const asFlag = JSON.stringify(fromEnv).replaceAll(envName(flag), `--${flag}`);
      assert.equal(asFlag, JSON.stringify(fromFlag), `--${flag}=${value} and ${envName(flag)}=${value}`);
    }
  });

  it('prefers the flag over the variable', async () => {
    assert.equal(await config(['--batch-max-events=5'], { KAF_BATCH_MAX_EVENTS: 'many' }), await config(['--batch-max-events=5']));
  });

  it('names an unknown KAF_* variable as the variable, with the closest setting', async () => {
    assert.equal(await errorOf([], { KAF_SINKK: 'file' }), 'KAF_SINKK is not a setting (did you mean KAF_SINK?)');
    assert.equal(await errorOf([], { KAF_NOTHING_LIKE_IT: '1' }), 'KAF_NOTHING_LIKE_IT is not a setting');
  });

  it('accepts the variables of the other commands (checkpoints runs with the agent\'s environment)', async () => {
    const invocation = await parseCommandLine(['checkpoints'], { KAF_SINK: 'kafka', KAF_REDACTION: 'on' });
    assert.equal(invocation?.command, 'checkpoints');
  });

  it('keeps redaction and TLS on for every true spelling (the security defect: yargs read "yes" as false)', async () => {
    for (const spelling of TRUE_SPELLINGS) {
      const redaction = await parseCommandLine(['run'], { KAF_REDACTION: spelling });
      assert.equal(redaction?.command === 'run' && redaction.config.processors.redaction, true, `KAF_REDACTION=${spelling}`);
      const tls = await parseCommandLine(['run', '--sink', 'kafka', '--kafka-brokers', 'b:9093', `--kafka-tls=${spelling}`], {});
      assert.ok(tls?.command === 'run' && (tls.config.sinkConfig as { tls?: unknown }).tls !== undefined, `--kafka-tls=${spelling}`);
    }
  });

  it('warns about options of a sink that is not selected', async () => {
    const invocation = await parseCommandLine(['run', '--kafka-topic', 'audit'], { KAF_FORWARD_TAG: 'x', KAF_ALERTS_KAFKA_TOPIC: 'alerts' });
    assert.ok(invocation?.command === 'run');
    assert.deepEqual(invocation.config.warnings, [
      '--kafka-topic is set but only the kafka sink reads it, and the sink is file',
      'KAF_FORWARD_TAG is set but only the forward sink reads it, and the sink is file',
      'KAF_ALERTS_KAFKA_TOPIC is set but only the kafka sink reads it, and the sink is file',
    ]);
    const selected = await parseCommandLine(['run', '--sink', 'kafka', '--kafka-brokers', 'b:1', '--kafka-topic', 'audit'], {});
    assert.ok(selected?.command === 'run');
    assert.deepEqual(selected.config.warnings, []);
  });

  it('warns about a filter or a custom detection rule on a field that no audit event has, and not about real fields, aliases or free-form objects', async () => {
    const invocation = await parseCommandLine(
      ['run', '--filter-drop', 'objectRef.resorce=leases verb=get', '--filter-keep', 'user.name=admin'],
      { KAF_FILTER_DROP: 'ignored: the flag wins' },
    );
    assert.ok(invocation?.command === 'run');
    assert.deepEqual(invocation.config.warnings, [
      'filter "user.name=admin" reads user.name, which no audit event has: user has no "name" (it has username, uid, groups, extra)',
      'filter "objectRef.resorce=leases verb=get" reads objectRef.resorce, which no audit event has: objectRef has no "resorce" (it has resource, namespace, name, uid, apiGroup, apiVersion, resourceVersion, subresource)',
    ]);
    const rulesFile = path.join(mkdtempSync(path.join(tmpdir(), 'kaf-rules-')), 'rules.yaml');
    writeFileSync(rulesFile, 'rules:\n  - id: typo\n    match: {verb: create, objectRef.kind: Secret}\n');
    const custom = await parseCommandLine(['run', '--rules-file', rulesFile], {});
    assert.ok(custom?.command === 'run');
    assert.deepEqual(custom.config.warnings, [
      'detection rule "typo" reads objectRef.kind, which no audit event has: objectRef has no "kind" (it has resource, namespace, name, uid, apiGroup, apiVersion, resourceVersion, subresource)',
    ]);
    const real = await parseCommandLine(
      ['run', '--filter-drop', 'resource=leases user=system:node:* code>=400 decision=forbid requestObject.spec.replicas>3 podContainers.image=x* user.extra.arn=y sourceIPs=10.*'],
      {},
    );
    assert.ok(real?.command === 'run');
    assert.deepEqual(real.config.warnings, []);
  });
});

function expectedKindText(kind: OptionKind, choices: readonly string[] | undefined): string {
  switch (kind) {
    case 'boolean':
      return 'a boolean (true/false, 1/0, yes/no, on/off)';
    case 'integer':
      return 'an integer';
    case 'size':
      return 'a size (such as 1048576, 512KiB or 4MiB)';
    case 'choice':
      return `one of ${choices!.join(', ')}`;
    case 'string':
      return '';
  }
}
