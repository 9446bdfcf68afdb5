import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { AlertMetrics } from '../../src/alerts/alert-metrics.js';
import { allOptions } from '../../src/command-line.js';
import { envName } from '../../src/config-values.js';
import { AgentMetrics } from '../../src/observability/metrics.js';
import { DetectionProcessor } from '../../src/rules/detection/detection-processor.js';
import { EventFilter } from '../../src/rules/filter/event-filter.js';
import { SecretRedactor } from '../../src/rules/redaction/secret-redactor.js';
import { ForwardSinkMetrics } from '../../src/sinks/forward/forward-sink-metrics.js';
import { HEADER_CHOICES } from '../../src/sinks/kafka/kafka-sink-config.js';
import { KafkaSinkMetrics } from '../../src/sinks/kafka/kafka-sink-metrics.js';
import { defaultCell } from '../../scripts/settings-table.js';
import { misalignedCells } from '../helpers/column-alignment.js';

const PREFIX = 'kube_audit_forwarder_';
const DOCUMENTS = ['README.md', ...readdirSync('docs').filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const text = (file: string): string => readFileSync(file, 'utf8');

/**
 * Flags of other programs the docs show (kube-apiserver, kubectl, helm, node, npm, the bench and
 * scripts), and `--kafka-tls-`/`--forward-tls-` written as the prefix of a family of flags.
 */
const OTHER_PROGRAMS_FLAGS = new Set([
  'audit-policy-file', 'audit-log-path', 'audit-log-format', 'audit-log-maxsize', 'audit-log-maxbackup', 'audit-log-maxage', 'audit-log-compress', 'kube-apiserver-arg',
  'from-file', 'set', 'logs', 'dry-run', 'rm', 'show-only', 'previous', 'show-labels', 'web', 'config',
  'max-old-space-size', 'max-semi-space-size', 'cpu-prof', 'trace-gc', 'profile', 'ignore-scripts',
  'write', 'megabytes', 'steady-seconds', 'sinks', 'kafka-codecs', 'kafka-deliveries', 'fluent-bit', 'runs', 'variants',
  'help', 'version', 'sasl', 'ssl', 'fresh',
  'bootstrap-server', 'create', 'topic', 'partitions', // kafka-topics.sh
  'kafka-tls-', 'forward-tls-',
]);

/** Every metric family the agent can serve: its own, each sink's, the processors' and alerting's, and Node's. */
async function servedFamilies(): Promise<Map<string, string>> {
  const metrics = new AgentMetrics();
  const registry: Registry = metrics.registry;
  new KafkaSinkMetrics(registry);
  new ForwardSinkMetrics(registry);
  new AlertMetrics(registry);
  new EventFilter([], registry);
  new DetectionProcessor([], registry);
  new SecretRedactor({ builtin: true, extraPaths: [] }, registry);
  return new Map((await registry.getMetricsAsJSON()).map((metric) => [metric.name, String(metric.type)]));
}

/** A series name as a query writes it, back to its family (`…_bucket` of a histogram). */
function familyOf(name: string, families: Map<string, string>): string {
  const histogram = /^(.*)_(bucket|sum|count)$/.exec(name);
  return histogram && families.get(histogram[1]!) === 'histogram' ? histogram[1]! : name;
}

describe('README and docs/ in step with the code', () => {
  let families: Map<string, string>;
  before(async () => {
    families = await servedFamilies();
  });

  it('hold no merge-conflict markers', () => {
    for (const file of DOCUMENTS) {
      const markers = text(file).split('\n').flatMap((line, index) => (/^(<{7}|={7}|>{7})( |$)/.test(line) ? [`${file}:${index + 1}`] : []));
      assert.deepEqual(markers, [], 'conflict markers left by a merge');
    }
  });

  it('name only metrics the agent serves (prefixed ones, and process_* / nodejs_*)', () => {
    for (const file of DOCUMENTS) {
      const names = [
        ...[...text(file).matchAll(/\bkube_audit_forwarder_[a-z0-9_]*[a-z0-9]\b/g)].map((match) => match[0]),
        ...[...text(file).matchAll(/`((?:process|nodejs)_[a-z0-9_]+)`/g)].map((match) => match[1]!),
      ];
      for (const name of names) assert.ok(families.has(familyOf(name, families)), `${file} names ${name}, which /metrics does not serve`);
    }
  });

  it('list every metric of the agent in docs/observability.md, by its name without the prefix', () => {
    const reference = text('docs/observability.md');
    const documented = new Set([...reference.matchAll(/`([a-z0-9_]+)(?:\{[^}`]*\})?`/g)].map((match) => match[1]!));
    for (const name of families.keys()) {
      if (!name.startsWith(PREFIX)) continue;
      assert.ok(documented.has(name.slice(PREFIX.length)), `docs/observability.md does not list ${name.slice(PREFIX.length)}`);
    }
    assert.ok(documented.has('process_cpu_seconds_total'), 'the Node metrics are named with their standard names');
  });

  it('mention only flags the commands have (besides those of kube-apiserver, kubectl, helm and node)', () => {
    const options = allOptions();
    for (const file of DOCUMENTS) {
      for (const [, flag] of text(file).matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)) {
        const own = flag! in options || (flag!.startsWith('no-') && flag!.slice(3) in options);
        assert.ok(own || OTHER_PROGRAMS_FLAGS.has(flag!), `${file} mentions --${flag}, which no command has`);
      }
    }
  });

  it('give the defaults the code has in every table of flags', () => {
    const options = allOptions();
    for (const file of DOCUMENTS) {
      for (const [row, flag, variable, fallback] of text(file).matchAll(/^\| `--([a-z0-9-]+)` \| `(KAF_[A-Z0-9_]+)` \| ([^|]*) \|.*$/gm)) {
        const spec = options[flag!];
        assert.ok(spec, `${file}: --${flag} is not a setting`);
        assert.equal(variable, envName(flag!), `${file}: the variable of --${flag}`);
        const cell = fallback!.trim();
        const expected = defaultCell(spec);
        if (expected === '') assert.ok(cell === '' || cell === '(required)', `${file}: --${flag} has no default, not ${cell}`);
        else {
          assert.equal(cell, expected, `${file}: the default of --${flag}`);
          assert.doesNotMatch(row!, /\brequired\b/, `${file}: --${flag} has a default; it is not required`);
        }
      }
    }
  });

  it('show the checkpoints example with the columns the command prints, lined up as it lines them up', () => {
    const reference = text('docs/settings.md');
    const block = /```\ncheckpoint written [^\n]*\n([\s\S]*?)\n```/.exec(reference);
    assert.ok(block, 'docs/settings.md shows the output of checkpoints');
    const table = block[1]!;
    assert.match(table.split('\n')[0]!, /^FILE {2,}FINGERPRINT {2,}OFFSET {2,}SIZE {2,}LAG BYTES {2,}STATE$/);
    assert.deepEqual(misalignedCells(table, ['OFFSET', 'SIZE', 'LAG BYTES']), []);
  });

  it('name the Kafka headers the sink sets, all of them', () => {
    const headers = /\*\*headers\*\*: ([^(]*)\(/.exec(text('docs/sinks.md'));
    assert.ok(headers, 'docs/sinks.md lists the Kafka headers');
    assert.deepEqual([...headers[1]!.matchAll(/`([a-z]+)`/g)].map((match) => match[1]), [...HEADER_CHOICES]);
  });
});
