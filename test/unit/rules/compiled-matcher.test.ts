import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import { readEvents } from '../../../src/commands/evaluate.js';
import { decodeLine } from '../../../src/pipeline/decoder.js';
import type { MemberTable } from '../../../src/pipeline/json-scanner.js';
import { LineRecord } from '../../../src/pipeline/line-record.js';
import { CompiledMatcher } from '../../../src/rules/detection/compiled-matcher.js';
import { parseDetectionRule, type DetectionRule } from '../../../src/rules/detection/detection-rule.js';
import { builtinRules } from '../../../src/rules/detection/rule-set.js';
import { readRuleDocument } from '../../../src/rules/language/rule-document.js';
import { AuditEventFactory, readRealAuditLines } from '../../helpers/audit-event-factory.js';
import { CORPUS_DIR, jsonLinesCorpusFiles, rawLines } from '../../helpers/corpus.js';
import { corpusPath } from './written-events.js';

/**
 * The compiled matcher (index, byte guards, lazily parsed lines) must decide exactly as every
 * rule evaluated as written on the whole parsed event. Over the whole real corpus and 100 000
 * generated events, with the built-ins and the example rules (whose conditions use the body
 * paths, `not`, `every` and thresholds' `groupBy` fields), every event's matched rule ids must be
 * the same, in the same order.
 */

/** The naive evaluator: every rule, in order, on the event JSON.parse made. */
function naiveMatches(rules: readonly DetectionRule[], event: AuditEvent): string[] {
  return rules.filter((rule) => rule.matches(event)).map((rule) => rule.id);
}

function exampleRules(): DetectionRule[] {
  const text = readFileSync(corpusPath('../../processors/example-rules.yaml'), 'utf8');
  // The example's auth-failure-burst replaces the built-in; here it runs beside it under another id.
  return readRuleDocument(text, 'rules').map((raw) => parseDetectionRule({ ...(raw as object), id: `example-${(raw as { id: string }).id}` }, false));
}

/** Rules written for this test: every way a body condition can be guarded or not. */
const EXTRA_RULES = `
rules:
  - id: any-body-branches
    responses: any
    any:
      - requestObject.spec.replicas: {gt: 2}
      - responseObject.metadata.labels.app: "*"
  - id: body-absent
    stages: any
    match:
      resource: [deployments, pods]
      requestObject.spec.template: {exists: false}
  - id: response-items
    match:
      verb: list
      responseObject.items.metadata.namespace: kube-system
  - id: request-received-only
    stages: [RequestReceived]
    match: {verb: [create, delete]}
`;

function allRules(): DetectionRule[] {
  return [...builtinRules(), ...exampleRules(), ...readRuleDocument(EXTRA_RULES, 'rules').map((raw) => parseDetectionRule(raw, false))];
}

/**
 * Every event of the real corpus as one line: the JSON-lines files as their bytes, the JSON
 * documents (EventLists, AKS exports, pretty-printed Events) re-serialised, and the rows of the
 * hkerma CSV (audit metadata of a real cluster) rebuilt as Metadata-level events.
 */
async function corpusLines(): Promise<Buffer[]> {
  const seen = new Set<string>();
  const lines: Buffer[] = [];
  const add = (line: Buffer): void => {
    const key = line.toString('latin1');
    if (!seen.has(key)) lines.push(line);
    seen.add(key);
  };
  const jsonLines = new Set(jsonLinesCorpusFiles());
  for (const file of jsonLines) rawLines(file).forEach(add);
  for (const file of walk(CORPUS_DIR)) {
    if (jsonLines.has(file) || !file.endsWith('.json')) continue;
    for await (const entry of readEvents(file)) if (entry.event) add(Buffer.from(JSON.stringify(entry.event)));
  }
  for (const row of csvRows(readFileSync(path.join(CORPUS_DIR, 'hkerma-kubernetes-event-dataset-audit-logs.csv'), 'utf8'))) {
    if (row.length < 12) continue;
    const [, received, username, verb, resource, subresource, name, , requestURI, auditID, stage, code] = row as string[];
    add(
      Buffer.from(
        JSON.stringify({
          kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID, stage, requestURI, verb,
          user: { username, groups: ['system:authenticated'] },
          ...(resource ? { objectRef: { resource, ...(subresource ? { subresource } : {}), ...(name ? { name } : {}) } } : {}),
          ...(code ? { responseStatus: { metadata: {}, code: Number(code) } } : {}),
          requestReceivedTimestamp: received, stageTimestamp: received,
        }),
      ),
    );
  }
  return lines;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
}

/** RFC 4180 rows: quoted fields may hold commas and doubled quotes. */
function csvRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const fields: string[] = [];
      let field = '';
      let quoted = false;
      for (let index = 0; index < line.length; index += 1) {
        const char = line[index]!;
        if (quoted && char === '"' && line[index + 1] === '"') {
          field += '"';
          index += 1;
        } else if (char === '"') quoted = !quoted;
        else if (char === ',' && !quoted) {
          fields.push(field);
          field = '';
        } else field += char;
      }
      fields.push(field.replace(/\r$/, ''));
      return fields;
    });
}

function compareOn(lines: Iterable<Buffer>, rules: readonly DetectionRule[]): { events: number; perRule: Map<string, number> } {
  const matcher = new CompiledMatcher(rules);
  const perRule = new Map<string, number>();
  let events = 0;
  for (const line of lines) {
    // As the agent decodes a line for processors: with the members of its object values noted.
    const decoded = decodeLine(line, 'members and nested');
    if (decoded.kind !== 'event') continue;
    const parsed = JSON.parse(line.toString('utf8').replace(/^\uFEFF/, '')) as AuditEvent;
    const record = LineRecord.scanned(line, decoded.members, { path: 'test', offset: 0 }, decoded.nested);
    const compiled = matcher.match(record, record.scannedLine()).map((rule) => rule.id);
    const naive = naiveMatches(rules, parsed);
    assert.deepEqual(compiled, naive, `line ${events}: ${line.toString('utf8').slice(0, 300)}`);
    // With the top-level members only, the objects below are scanned when read.
    const topLevelOnly = LineRecord.scanned(line, decoded.members, { path: 'test', offset: 0 });
    assert.deepEqual(matcher.match(topLevelOnly, topLevelOnly.scannedLine()).map((rule) => rule.id), naive, `line ${events} with top-level members only`);
    // Without the line's bytes (an event parsed whole, or rewritten by redaction) the index reads the event.
    assert.deepEqual(matcher.match({ event: parsed }).map((rule) => rule.id), naive, `line ${events} without its bytes`);
    for (const id of naive) perRule.set(id, (perRule.get(id) ?? 0) + 1);
    events += 1;
  }
  return { events, perRule };
}

/** The same event with every `e` and `s` of its keys and strings written as a \\u escape. */
function escapeLetters(line: Buffer): Buffer {
  const text = line.toString('utf8').replace(/^\uFEFF/, '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return line;
  }
  const escape = (value: string): string =>
    JSON.stringify(value).replace(/\\u[0-9a-f]{4}|\\.|[es]/g, (match) => (match.length > 1 ? match : `\\u00${match.charCodeAt(0).toString(16)}`));
  const write = (value: unknown): string => {
    if (typeof value === 'string') return escape(value);
    if (Array.isArray(value)) return `[${value.map(write).join(',')}]`;
    if (value !== null && typeof value === 'object') return `{${Object.entries(value).map(([key, child]) => `${escape(key)}:${write(child)}`).join(',')}}`;
    return JSON.stringify(value);
  };
  return Buffer.from(write(parsed));
}

function membersOf(line: Buffer): MemberTable | undefined {
  const decoded = decodeLine(line);
  return decoded.kind === 'event' ? decoded.members : undefined;
}

describe('compiled detection matcher', () => {
  const rules = allRules();

  it('matches exactly what every rule evaluated as written matches, on every event of the real corpus', async () => {
    const { events, perRule } = compareOn(await corpusLines(), rules);
    assert.ok(events > 15_000, `${events} corpus events`);
    // The comparison means something only if the corpus makes many rules fire.
    assert.ok(perRule.size >= 20, `rules that fired on the corpus: ${[...perRule.keys()].join(', ')}`);
  });

  it('matches exactly what every rule evaluated as written matches, on 100 000 generated events', function () {
    this.timeout(120_000);
    const factory = new AuditEventFactory({ seed: 17, realLines: readRealAuditLines(CORPUS_DIR), requestResponseFraction: 0.2 });
    function* generated(): Generator<Buffer> {
      for (let index = 0; index < 100_000; index += 1) yield Buffer.from(factory.nextLine());
    }
    const { events, perRule } = compareOn(generated(), rules);
    assert.equal(events, 100_000);
    assert.ok(perRule.size >= 15, `rules that fired on generated events: ${[...perRule.keys()].join(', ')}`);
  });

  it('matches as the rules evaluated as written when keys and values spell letters as \\u escapes', async () => {
    // The byte guards and readers compare raw bytes: an escaped `"us\u0065r"` or `"syst\u0065m:…"`
    // must be read as what it decodes to, never ruled out by its spelling.
    const { events, perRule } = compareOn((await corpusLines()).map(escapeLetters), rules);
    assert.ok(events > 15_000, `${events} corpus events`);
    assert.ok(perRule.size >= 20, `rules that fired on the escaped corpus: ${[...perRule.keys()].join(', ')}`);
  });

  it('matches as the rules evaluated as written on every shape of the fields read from the bytes', () => {
    // The guards and readers take shortcuts on sourceIPs, user and impersonatedUser (the first
    // string of a list, member presence, globs): each odd shape must give what the parsed event gives.
    const base = {
      kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: 'a1', stage: 'ResponseComplete', verb: 'get',
      requestURI: '/api/v1/namespaces/default/pods/p', objectRef: { resource: 'pods', namespace: 'default', name: 'p' },
      responseStatus: { code: 200 }, annotations: { 'authorization.k8s.io/decision': 'allow' },
    };
    const sourceIPs = ['["8.8.8.8"]', '[ "8.8.8.8" , "10.0.0.1" ]', '["10.0.0.1","8.8.8.8"]', '["\\u0038.8.8.8"]', '["8.8.8.8\\"x"]', '[]', '[null]', '[["8.8.8.8"]]', '[1,"8.8.8.8"]', '"8.8.8.8"', '{"0":"8.8.8.8"}', 'null'];
    const users = ['{"username":"system:node:n1"}', '{"username":"system:"}', '{"username":"eks:x","groups":["system:authenticated"]}', '{"username":"system:anonymous","groups":["system:unauthenticated"]}', '{"username":"bob","groups":[ "system:unauthenticated" ]}', '{"username":"sys\\u0074em:admin"}', '{"groups":"system:unauthenticated"}', 'null'];
    const impersonated = [undefined, 'null', '{}', '{"username":"system:admin"}', '{"groups":["system:masters"]}', '{"username":"system:serviceaccount:kube-system:x"}'];
    const lines: Buffer[] = [];
    for (const ips of sourceIPs) {
      for (const user of users) {
        for (const as of impersonated) {
          const fields = `"user":${user},${as === undefined ? '' : `"impersonatedUser":${as},`}"sourceIPs":${ips}`;
          lines.push(Buffer.from(`${JSON.stringify(base).slice(0, -1)},${fields}}`));
        }
      }
    }
    const { events, perRule } = compareOn(lines, rules);
    assert.equal(events, lines.length);
    for (const id of ['system-identity-from-public-ip', 'impersonation', 'impersonation-of-privileged-identity', 'anonymous-request-allowed']) {
      assert.ok(perRule.has(id), `${id} fired on some shape`);
    }
  });

  it('never parses the request body of an event whose bytes lack the keys a pod-spec rule needs', () => {
    const privileged = builtinRules().filter((rule) => rule.id === 'privileged-container');
    const matcher = new CompiledMatcher(privileged);
    const lease = Buffer.from(
      JSON.stringify({
        kind: 'Event', level: 'RequestResponse', auditID: 'a1', stage: 'ResponseComplete', verb: 'update',
        requestURI: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1',
        user: { username: 'system:node:node-1' }, objectRef: { resource: 'leases', name: 'node-1', apiGroup: 'coordination.k8s.io' },
        responseStatus: { code: 200 }, requestObject: { kind: 'Lease', spec: { holderIdentity: 'node-1' } },
      }),
    );
    const record = LineRecord.scanned(lease, membersOf(lease), { path: 'test', offset: 0 });
    let bodyRead = false;
    const event = new Proxy(record.event, {
      get(target, property, receiver) {
        if (property === 'requestObject') bodyRead = true;
        return Reflect.get(target, property, receiver);
      },
    });
    assert.deepEqual(matcher.match({ event }, record.scannedLine()), []);
    assert.equal(bodyRead, false);
    // The same update with a privileged container is read, and matches.
    const pod = Buffer.from(lease.toString().replace('{"kind":"Lease","spec":{"holderIdentity":"node-1"}}', '{"kind":"Pod","spec":{"containers":[{"name":"x","securityContext":{"privileged":true}}]}}'));
    const podRecord = LineRecord.scanned(pod, membersOf(pod), { path: 'test', offset: 0 });
    assert.deepEqual(matcher.match(podRecord, podRecord.scannedLine()).map((rule) => rule.id), ['privileged-container']);
  });
});
