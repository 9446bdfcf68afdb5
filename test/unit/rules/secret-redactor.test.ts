import assert from 'node:assert/strict';
import path from 'node:path';
import { Registry } from 'prom-client';
import { jsonLinesCorpusFiles, rawLines } from '../../helpers/corpus.js';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import type { AuditRecord } from '../../../src/pipeline/audit-record.js';
import { parseRedactionPath } from '../../../src/rules/redaction/redaction-path.js';
import { REDACTED_ANNOTATION, REDACTION_MARKER, SecretRedactor } from '../../../src/rules/redaction/secret-redactor.js';
import { corpusPath, corpusRecords, recordOf, writtenEvent } from './written-events.js';

const FIXTURES = path.resolve('test/fixtures/processors');
const fixtureRecords = (name: string): AuditRecord[] => rawLines(path.join(FIXTURES, name)).map((line) => recordOf(line));

const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6IlRlc3RLZXkifQ.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50OmRlZmF1bHQ6YnVpbGRlciJ9.U2lnbmF0dXJlT2ZUaGVUb2tlbkZvclRlc3Rz';

/** Every secret planted in the fixtures (see test/fixtures/processors/README.md), in clear. */
const PLANTED: Record<string, string[]> = {
  'secret-create-request-response.json': ['S3cr3t-Db-Passw0rd!', 'sk_live_51HxAPIkeyInStringData'],
  'secret-list-response.json': [JWT, '{"auths":{"registry.example.com":{"auth":"cm9ib3Q6cHVsbC1wYXNzd29yZC03Nzc="}}}', '-----BEGIN PRIVATE KEY-----\nPRIVATEKEYMATERIAL0987\n-----END PRIVATE KEY-----\n', 'CERT-BODY-1234', '-----BEGIN CERTIFICATE-----\nMIIC5zCCAc+gAwIBAgIBATANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwptaW5p\n-----END CERTIFICATE-----\n'],
  'secret-table-response.json': ['TableRowSecretValue'],
  'secret-patches.jsonl': ['MergePatchedPassword', 'merge-patch-plain-token', 'JsonPatchedPassword', 'json-patch-plain-value', 'LastAppliedInJsonPatch'],
  'token-review-and-request.jsonl': [`${JWT}REVIEWED`, `${JWT}MINTED`],
};

/** A planted value and every form it can take in the bytes: clear, base64, base64 of base64. */
function formsOf(secret: string): string[] {
  const once = Buffer.from(secret).toString('base64');
  return [secret, once, Buffer.from(once).toString('base64')];
}

function redactor(registry = new Registry(), extraPaths: string[] = [], builtin = true): SecretRedactor {
  return new SecretRedactor({ builtin, extraPaths: extraPaths.map(parseRedactionPath) }, registry);
}

function processAll(processor: SecretRedactor, records: AuditRecord[]): Buffer {
  for (const record of records) assert.equal(processor.process(record), 'keep');
  return Buffer.concat(records.map((record) => record.value));
}

describe('secret redaction', () => {
  for (const [fixture, secrets] of Object.entries(PLANTED)) {
    it(`leaves none of the planted secrets of ${fixture} in the shipped bytes, in clear or base64`, () => {
      const records = fixtureRecords(fixture);
      const before = Buffer.concat(records.map((record) => record.value)).toString('utf8');
      for (const secret of secrets) assert.ok(formsOf(secret).some((form) => before.includes(form)), `fixture lacks ${secret}`);
      const shipped = processAll(redactor(), records).toString('utf8');
      for (const secret of secrets) {
        for (const form of formsOf(secret)) assert.ok(!shipped.includes(form), `${form} survived in ${fixture}`);
      }
      for (const record of records) {
        assert.deepEqual(JSON.parse(record.value.toString('utf8')), record.event, 'value and event disagree');
        assert.match(String((record.event.annotations as Record<string, string>)[REDACTED_ANNOTATION]), /^[1-9]\d*$/);
      }
    });
  }

  it('keeps the keys of a Secret and its other fields, replacing only the values', () => {
    const [record] = fixtureRecords('secret-create-request-response.json');
    redactor().process(record!);
    const event = record!.event as { requestObject: Record<string, any>; responseObject: Record<string, any>; requestURI: string };
    assert.deepEqual(event.requestObject.data, { username: REDACTION_MARKER, password: REDACTION_MARKER });
    assert.deepEqual(event.requestObject.stringData, { 'api-key': REDACTION_MARKER });
    assert.deepEqual(Object.keys(event.responseObject.data), ['username', 'password', 'api-key']);
    assert.equal(event.responseObject.metadata.resourceVersion, '73104');
    assert.deepEqual(event.responseObject.metadata.managedFields[0].fieldsV1['f:data']['f:password'], {});
    const lastApplied = JSON.parse(event.responseObject.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    assert.deepEqual(lastApplied.data, { username: REDACTION_MARKER, password: REDACTION_MARKER });
    assert.equal(lastApplied.metadata.name, 'db-credentials');
    assert.equal(event.requestURI, '/api/v1/namespaces/default/secrets?fieldManager=kubectl-client-side-apply&fieldValidation=Strict');
    // 2 data + 1 stringData in the request, 3 data in the response, 3 in each of the two last-applied copies.
    assert.equal((record!.event.annotations as Record<string, string>)[REDACTED_ANNOTATION], '12');
  });

  it('redacts every item of a SecretList and keeps non-secret operations of a JSON Patch', () => {
    const [list] = fixtureRecords('secret-list-response.json');
    redactor().process(list!);
    const items = (list!.event.responseObject as { items: Array<{ data: Record<string, string>; type: string }> }).items;
    assert.deepEqual(items.map((item) => Object.values(item.data).every((value) => value === REDACTION_MARKER)), [true, true, true]);
    assert.deepEqual(items.map((item) => item.type), ['kubernetes.io/service-account-token', 'kubernetes.io/dockerconfigjson', 'kubernetes.io/tls']);
    const [, jsonPatch] = fixtureRecords('secret-patches.jsonl');
    redactor().process(jsonPatch!);
    assert.deepEqual((jsonPatch!.event.requestObject as unknown[])[3], { op: 'replace', path: '/metadata/labels/app', value: 'web' });
  });

  it('redacts the minted token of a TokenRequest but keeps its empty request status and expiry', () => {
    const [, tokenRequest] = fixtureRecords('token-review-and-request.jsonl');
    redactor().process(tokenRequest!);
    const event = tokenRequest!.event as { requestObject: any; responseObject: any };
    assert.equal(event.responseObject.status.token, REDACTION_MARKER);
    assert.equal(event.responseObject.status.expirationTimestamp, '2023-05-17T16:11:00Z');
    assert.equal(event.requestObject.status.token, REDACTION_MARKER);
  });

  it('leaves every corpus event that holds no secret byte-identical (same buffer), and counts nothing', async () => {
    const registry = new Registry();
    const processor = redactor(registry);
    let events = 0;
    for (const file of jsonLinesCorpusFiles()) {
      for (const record of corpusRecords(file)) {
        const original = record.value;
        processor.process(record);
        assert.equal(record.value, original, `${file} ${String(record.event.auditID)} was rewritten`);
        events += 1;
      }
    }
    assert.ok(events > 300, `only ${events} corpus events`);
    assert.match(await registry.metrics(), /kube_audit_forwarder_redacted_events_total 0/);
  });

  it('does not look into events whose bytes cannot hold a secret (the byte-level pre-check)', () => {
    const untouchable = new Proxy({} as AuditEvent, {
      get() {
        throw new Error('the parsed event was read');
      },
    });
    for (const file of ['create_configmap_sensitive_values.json', 'create_secret.json', 'exec_pod.json']) {
      for (const line of rawLines(corpusPath('falco-k8s_audit-trace-files', file))) {
        const record: AuditRecord = { value: line, event: untouchable, origin: { path: file, offset: 0 } };
        assert.equal(redactor().process(record), 'keep');
      }
    }
  });

  it('redacts user paths: a kind-scoped one on a real ConfigMap event and root paths with brackets', () => {
    const processor = redactor(new Registry(), ['ConfigMap:data.*', 'annotations["authorization.k8s.io/reason"]', 'sourceIPs[0]']);
    const records = corpusRecords(corpusPath('falco-k8s_audit-trace-files', 'create_configmap_sensitive_values.json'));
    const shipped = processAll(processor, records).toString('utf8');
    assert.ok(!shipped.includes('aws_secret_access_key'), 'ConfigMap data survived');
    assert.ok(!shipped.includes('192.168.99.1'), 'sourceIPs[0] survived');
    const event = records[0]!.event as { requestObject: { data: Record<string, string> }; annotations: Record<string, string> };
    assert.deepEqual(Object.keys(event.requestObject.data), ['access.properties', 'ui.properties']);
    assert.equal(event.annotations['authorization.k8s.io/decision'], 'allow');
    assert.equal(event.annotations['authorization.k8s.io/reason'], REDACTION_MARKER);
  });

  it('reaches kind-less patch bodies with a resource scope, which a kind scope cannot', () => {
    const patch = () =>
      recordOf(writtenEvent({ verb: 'patch', objectRef: { resource: 'configmaps', namespace: 'default', name: 'app', apiVersion: 'v1' }, requestObject: { data: { password: 'PatchedConfigMapPassword' } } }));
    const byKind = patch();
    redactor(new Registry(), ['ConfigMap:data.*']).process(byKind);
    assert.ok(byKind.value.includes('PatchedConfigMapPassword'));
    const byResource = patch();
    redactor(new Registry(), ['configmaps:data.*']).process(byResource);
    assert.ok(!byResource.value.includes('PatchedConfigMapPassword'));
    assert.deepEqual((byResource.event.requestObject as { data: unknown }).data, { password: REDACTION_MARKER });
  });

  it('fails closed on a Secret nested too deeply to walk: the bodies are replaced, the event still ships', () => {
    const depth = 200_000;
    const text = `{"verb":"get","objectRef":{"resource":"secrets"},"responseObject":{"kind":"Secret","data":{"a":"RGVlcFNlY3JldA=="},"x":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    const record = recordOf(Buffer.from(text));
    assert.equal(redactor().process(record), 'keep');
    assert.equal(record.value.toString('utf8'), `{"verb":"get","objectRef":{"resource":"secrets"},"responseObject":"${REDACTION_MARKER}","annotations":{"${REDACTED_ANNOTATION}":"1"}}`);
  });

  it('with the built-in redaction off, ships Secrets as they are', () => {
    const records = fixtureRecords('secret-list-response.json');
    const original = records[0]!.value;
    processAll(redactor(new Registry(), [], false), records);
    assert.equal(records[0]!.value, original);
  });

  it('is idempotent: a second pass finds nothing more to replace and leaves the bytes alone', () => {
    const [record] = fixtureRecords('secret-create-request-response.json');
    const processor = redactor();
    processor.process(record!);
    const once = record!.value;
    processor.process(record!);
    assert.equal(record!.value, once);
  });

  it('counts redacted events and values in the registry', async () => {
    const registry = new Registry();
    processAll(redactor(registry), [...fixtureRecords('secret-patches.jsonl'), ...fixtureRecords('token-review-and-request.jsonl')]);
    const metrics = await registry.metrics();
    assert.match(metrics, /kube_audit_forwarder_redacted_events_total 4/);
    // merge patch 2, JSON patch 3, TokenReview 2, TokenRequest 2 (the request's empty status.token too).
    assert.match(metrics, /kube_audit_forwarder_redacted_values_total 9/);
  });
});
