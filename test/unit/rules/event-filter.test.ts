import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { EventFilter } from '../../../src/rules/filter/event-filter.js';
import { unknownRuleFields } from '../../../src/rules/language/rule-field-check.js';
import { parseFilterExpression, parseFilterRule } from '../../../src/rules/filter/filter-rule.js';
import { readRuleDocument } from '../../../src/rules/language/rule-document.js';
import { corpusPath, corpusRecords, writtenEvent } from './written-events.js';

const matches = (expression: string, event = writtenEvent()): boolean => parseFilterExpression(expression, 'drop').matches(event);

describe('filter rules', () => {
  it('matches every field the issue names, with globs and lists', () => {
    const event = writtenEvent({
      level: 'Metadata',
      stage: 'ResponseComplete',
      verb: 'watch',
      user: { username: 'system:node:node-1', groups: ['system:nodes', 'system:authenticated'] },
      objectRef: { resource: 'pods', subresource: 'status', namespace: 'kube-system' },
      responseStatus: { code: 200 },
    });
    for (const expression of [
      'level=Metadata',
      'stage=ResponseComplete',
      'verb=get,list,watch',
      'user=system:node:*',
      'group=system:nodes',
      'resource=pods',
      'subresource=status',
      'namespace=kube-*',
      'code=200',
      'code>=200 code<300',
      'user=system:node:* verb=watch resource!=secrets',
    ]) {
      assert.ok(matches(expression, event), expression);
    }
    for (const expression of ['level=Request*', 'verb=get,list', 'user=system:kube-*', 'group=system:masters', 'code>=400', 'resource!=pods', 'namespace=default', 'user=system:node:* verb=get']) {
      assert.ok(!matches(expression, event), expression);
    }
  });

  it('rejects malformed expressions with a message naming the term', () => {
    assert.throws(() => parseFilterExpression('verb', 'drop'), /"verb" is not field=value/);
    assert.throws(() => parseFilterExpression('code>=abc', 'drop'), /needs a number/);
    assert.throws(() => parseFilterExpression('annotations["x=1', 'drop'), /bad path/);
  });

  it('lets the first matching rule decide, keeps what no rule matches, and counts decisions per rule', async () => {
    const registry = new Registry();
    const filter = new EventFilter(
      [parseFilterExpression('resource=secrets', 'keep'), parseFilterExpression('verb=get,list,watch', 'drop')],
      registry,
    );
    const secretRead = { value: Buffer.alloc(0), origin: { path: '', offset: 0 }, event: writtenEvent({ verb: 'get', objectRef: { resource: 'secrets' } }) };
    const podList = { ...secretRead, event: writtenEvent({ verb: 'list' }) };
    const podCreate = { ...secretRead, event: writtenEvent({ verb: 'create' }) };
    assert.equal(filter.process(secretRead), 'keep');
    assert.equal(filter.process(podList), 'drop');
    assert.equal(filter.process(podList), 'drop');
    assert.equal(filter.process(podCreate), 'keep');
    const metrics = await registry.metrics();
    assert.match(metrics, /kube_audit_forwarder_filter_events_total\{rule="resource=secrets",action="keep"\} 1/);
    assert.match(metrics, /kube_audit_forwarder_filter_events_total\{rule="verb=get,list,watch",action="drop"\} 2/);
  });

  it('reads named rules from YAML and drops real events with them', () => {
    const rules = readRuleDocument(
      `filters:
  - name: drop-namespace-churn
    action: drop
    match: {resource: namespaces, verb: [create, delete]}
    unless:
      - user: system:anonymous
`,
      'filters',
    ).map(parseFilterRule);
    const filter = new EventFilter(rules, new Registry());
    const verdict = (file: string) => filter.process(corpusRecords(corpusPath('falco-k8s_audit-trace-files', file))[0]!);
    assert.equal(verdict('minikube_creates_namespace_foo.json'), 'drop');
    assert.equal(verdict('delete_namespace_foo.json'), 'drop');
    assert.equal(verdict('anonymous_creates_namespace_foo.json'), 'keep');
    assert.equal(verdict('create_secret.json'), 'keep');
  });

  it('refuses a filter file rule without a valid action', () => {
    assert.throws(() => parseFilterRule({ name: 'x', action: 'discard', match: { verb: 'get' } }), /filter x: action must be drop or keep/);
  });
  it('names a field no audit event has in a filter file rule, in match, any and unless alike', () => {
    const rules = readRuleDocument(
      [
        'filters:',
        '  - name: typos',
        '    action: drop',
        '    match: {verb: get, stage.name: x}',
        '    any: [{objectRef.resource: leases}, {responseStatus.codee: 200}]',
        '    unless: [{userAgent: kubectl*}, {impersonatedUser.group: y}]',
      ].join('\n'),
      'filters',
    ).map(parseFilterRule);
    assert.deepEqual(unknownRuleFields('filter', rules), [
      'filter "typos" reads stage.name, which no audit event has: stage is a plain value, with no "name" in it',
      'filter "typos" reads responseStatus.codee, which no audit event has: responseStatus has no "codee" (it has kind, apiVersion, metadata, status, message, reason, details, code)',
      'filter "typos" reads impersonatedUser.group, which no audit event has: impersonatedUser has no "group" (it has username, uid, groups, extra)',
    ]);
  });
});
