import assert from 'node:assert/strict';
import { rawLines } from '../../helpers/corpus.js';
import { addAnnotations } from '../../../src/audit/event-annotation.js';
import type { AuditRecord } from '../../../src/pipeline/audit-record.js';
import { decodeLine } from '../../../src/pipeline/decoder.js';
import { LineRecord } from '../../../src/pipeline/line-record.js';
import { corpusPath, recordOf } from '../rules/written-events.js';

const KEY = 'kube-audit-forwarder.io/detections';

function scannedRecordOf(bytes: Buffer): AuditRecord {
  const decoded = decodeLine(bytes, 'members and nested');
  assert.ok(decoded.kind === 'event');
  return LineRecord.scanned(bytes, decoded.members, { path: 'test', offset: 0 }, decoded.nested);
}

describe('adding an annotation to an event', () => {
  it('splices it into the original bytes of a real event: Go escapes and µ survive, nothing else changes', () => {
    const [line] = rawLines(corpusPath('crowdsec-k8s-audit-pod-exec-file.log'));
    const record = recordOf(line!);
    addAnnotations(record, { [KEY]: 'pod-exec-attach' });
    const inserted = `"${KEY}":"pod-exec-attach",`;
    const at = record.value.indexOf(inserted);
    assert.ok(at > 0, 'annotation not spliced in');
    assert.ok(record.value.subarray(0, at).equals(line!.subarray(0, at)), 'bytes before the splice changed');
    assert.ok(record.value.subarray(at + Buffer.byteLength(inserted)).equals(line!.subarray(at)), 'bytes after the splice changed');
    assert.ok(record.value.includes('\\u0026container=centos'));
    assert.ok(record.value.includes('561.927µs'));
    assert.deepEqual(JSON.parse(record.value.toString('utf8')), record.event);
    assert.equal((record.event.annotations as Record<string, string>)[KEY], 'pod-exec-attach');
  });

  const shapes: Array<[string, string]> = [
    ['without annotations', '{"kind":"Event","verb":"get","objectRef":{"annotations":{"x":"nested, not top-level"}}}'],
    ['with empty annotations', '{"kind":"Event","annotations":{},"verb":"get"}'],
    ['with annotations first and spaces', '{ "annotations" : { "a": "b" } , "verb" : "get" }'],
    ['with a key containing an escaped quote before annotations', '{"we\\"ird":"}{","annotations":{"a":"b"}}'],
    ['with a byte-order mark', '\uFEFF{"verb":"get"}'],
    ['that is an empty object', '{}'],
  ];
  for (const [name, text] of shapes) {
    it(`produces valid JSON equal to the parsed event for an event ${name}, with one or two annotations`, () => {
      const originalAnnotations = JSON.parse(text.replace(/^\uFEFF/, '')).annotations ?? {};
      const annotationSets: Record<string, string>[] = [{ [KEY]: 'r1,r2' }, { [KEY]: 'r1,r2', [`${KEY}-details`]: '[{"rule":"r1"}]' }];
      // A record of the line handler's (which keeps the decoder's member table) and a parsed one.
      const records = (): AuditRecord[] => [recordOf(Buffer.from(text)), scannedRecordOf(Buffer.from(text))];
      for (const [added, record] of annotationSets.flatMap((added) => records().map((record) => [added, record] as const))) {
        addAnnotations(record, added);
        const shipped = JSON.parse(record.value.toString('utf8').replace(/^\uFEFF/, ''));
        assert.deepEqual(shipped, record.event);
        assert.deepEqual(shipped.annotations, { ...originalAnnotations, ...added });
      }
    });
  }

  it('re-serialises when the annotation is already present, so the key is never duplicated', () => {
    const record = recordOf(Buffer.from(`{"annotations":{"${KEY}":"old"},"verb":"get"}`));
    addAnnotations(record, { [KEY]: 'new' });
    assert.equal(record.value.toString('utf8'), `{"annotations":{"${KEY}":"new"},"verb":"get"}`);
  });
});
