import assert from 'node:assert/strict';
import { isProxy } from 'node:util/types';
import { decodeLine } from '../../../src/pipeline/decoder.js';
import { LineRecord } from '../../../src/pipeline/line-record.js';

function recordOf(text: string): LineRecord {
  const bytes = Buffer.from(text);
  const decoded = decodeLine(bytes);
  assert.equal(decoded.kind, 'event');
  return LineRecord.scanned(bytes, decoded.kind === 'event' ? decoded.members : [], { path: '/var/log/audit.log', offset: 0 });
}

describe('LineRecord', () => {
  it('hands out the same event object until it is released', () => {
    const record = recordOf('{"auditID":"a","stage":"ResponseComplete"}');
    const event = record.event;
    assert.equal(record.event, event);
    assert.equal(event.stage, 'ResponseComplete');
  });

  it('a scanned line is parsed lazily; a line parsed up front keeps its plain object', () => {
    assert.equal(isProxy(recordOf('{"auditID":"a"}').event), true);
    const event = { auditID: 'a' };
    const record = LineRecord.parsed(Buffer.from(JSON.stringify(event)), event, { path: '/var/log/audit.log', offset: 0 });
    assert.equal(record.event, event);
    record.releaseEvent();
    assert.deepEqual(record.event, event);
  });

  it('after a release, reads the same event again from its bytes', () => {
    const record = recordOf('{"auditID":"a","stage":"ResponseComplete","objectRef":{"resource":"pods"},"µs":"561µs"}');
    const before = JSON.parse(JSON.stringify(record.event)) as unknown;
    record.releaseEvent();
    assert.deepEqual(record.event, before);
  });

  it('after a release, reads the event a processor rewrote (value refreshed with it)', () => {
    const record = recordOf('{"auditID":"a","requestObject":{"data":{"k":"c2VjcmV0"}}}');
    record.event = { ...record.event, requestObject: { data: { k: '[REDACTED]' } } };
    record.value = Buffer.from(JSON.stringify(record.event));
    record.releaseEvent();
    assert.deepEqual(record.event.requestObject, { data: { k: '[REDACTED]' } });
  });

  it('re-reads a line that starts with a UTF-8 byte-order mark, keeping the mark in the shipped bytes', () => {
    const record = recordOf('\uFEFF{"auditID":"bom"}');
    record.releaseEvent();
    assert.equal(record.event.auditID, 'bom');
    assert.deepEqual([...record.value.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  });

  it('has no detections until a processor sets them', () => {
    const record = recordOf('{"auditID":"a"}');
    assert.equal('detections' in record, false);
    assert.equal(record.detections, undefined);
  });
});
