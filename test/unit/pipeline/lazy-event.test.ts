import assert from 'node:assert/strict';
import { INVALID, membersOfLastScan, scanJsonObject } from '../../../src/pipeline/json-scanner.js';
import { lazyAuditEvent } from '../../../src/pipeline/lazy-event.js';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import { jsonLinesCorpusFiles, rawLines } from '../../helpers/corpus.js';

function lazyOf(text: string | Buffer): AuditEvent {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const count = scanJsonObject(bytes);
  assert.notEqual(count, INVALID);
  return lazyAuditEvent(bytes, membersOfLastScan(count));
}

/** Counts JSON.parse calls made while `action` runs. */
function countParses(action: () => void): number {
  const original = JSON.parse;
  let calls = 0;
  JSON.parse = (...args: Parameters<typeof JSON.parse>) => {
    calls += 1;
    return original(...args) as unknown;
  };
  try {
    action();
  } finally {
    JSON.parse = original;
  }
  return calls;
}

const LINE =
  '{"kind":"Event","auditID":"a-1","verb":"create","objectRef":{"resource":"pods","namespace":"ns"},' +
  '"requestObject":{"spec":{"containers":[{"name":"c"}]}},"stageTimestamp":"2026-11-27T10:00:00.123456Z"}';

describe('lazyAuditEvent', () => {
  it('equals what JSON.parse makes of every real event in the shared corpus, serialised the same', () => {
    for (const file of jsonLinesCorpusFiles()) {
      for (let line of rawLines(file)) {
        if (line[0] === 0xef) line = line.subarray(3);
        const parsed: unknown = JSON.parse(line.toString('utf8'));
        const lazy = lazyOf(line);
        assert.deepEqual(lazy, parsed);
        assert.equal(JSON.stringify(lazy), JSON.stringify(parsed));
      }
    }
  });

  it('reads a plain string field without JSON.parse, and parses only the one field asked for', () => {
    const event = lazyOf(LINE);
    assert.equal(countParses(() => assert.equal(event.verb, 'create')), 0);
    assert.equal(countParses(() => assert.deepEqual(event.objectRef, { resource: 'pods', namespace: 'ns' })), 1);
    assert.equal(countParses(() => assert.equal((event.objectRef as { resource: string }).resource, 'pods')), 0, 'parsed once, then kept');
  });

  it('answers undefined, `in` false and hasOwn false for a field the event does not have', () => {
    const event = lazyOf(LINE);
    assert.equal(event.impersonatedUser, undefined);
    assert.equal('impersonatedUser' in event, false);
    assert.equal(Object.hasOwn(event, 'impersonatedUser'), false);
    assert.equal(Object.hasOwn(event, 'verb'), true);
  });

  it('decodes escaped and non-ASCII keys and string values', () => {
    const event = lazyOf('{"caf\\u00e9":"\\"q\\"","naïve":"µs","a\\/b":1}');
    assert.equal(event['café'], '"q"');
    assert.equal(event['naïve'], 'µs');
    assert.equal(event['a/b'], 1);
    assert.deepEqual(Object.keys(event), ['café', 'naïve', 'a/b']);
  });

  it('keeps a repeated key at its first position with its last value, as JSON.parse does', () => {
    const text = '{"a":1,"b":2,"a":3}';
    const event = lazyOf(text);
    assert.equal(event.a, 3);
    assert.deepEqual(Object.keys(event), Object.keys(JSON.parse(text) as object));
    assert.equal(JSON.stringify(event), JSON.stringify(JSON.parse(text)));
  });

  it('takes assignments and deletions with the key order of a plain object', () => {
    const plain = JSON.parse(LINE) as AuditEvent;
    const event = lazyOf(LINE);
    for (const target of [plain, event]) {
      target.annotations = { x: 'y' };
      delete target.kind;
      target.verb = 'patch';
      delete target.auditID;
      target.auditID = 'again';
      delete target.annotations;
      target.extra = undefined;
    }
    assert.deepEqual(Object.keys(event), Object.keys(plain));
    assert.equal(JSON.stringify(event), JSON.stringify(plain));
    assert.equal('kind' in event, false);
    assert.equal(event.verb, 'patch');
  });

  it('lets changes made inside a parsed field stick', () => {
    const event = lazyOf(LINE);
    (event.requestObject as { spec: unknown }).spec = '[REDACTED]';
    assert.deepEqual(event.requestObject, { spec: '[REDACTED]' });
  });

  it('has the prototype and inherited methods of a parsed object, and spreads into a plain copy', () => {
    const event = lazyOf(LINE);
    assert.equal(Object.getPrototypeOf(event), Object.prototype);
    assert.equal(event.hasOwnProperty('verb'), true);
    assert.equal(String(event), '[object Object]');
    const copy = { ...event };
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepEqual(copy, JSON.parse(LINE));
  });
});
