import assert from 'node:assert/strict';
import { eventTimeExtension } from '../../../../src/sinks/forward/event-time.js';

function secondsAndNanos(event: Record<string, unknown>, now?: () => number): [number, number] {
  const ext = eventTimeExtension(event, now);
  assert.equal(ext.type, 0);
  const data = ext.data as Uint8Array;
  assert.equal(data.length, 8);
  const view = new DataView(data.buffer, data.byteOffset, 8);
  return [view.getUint32(0), view.getUint32(4)];
}

describe('EventTime of an audit event', () => {
  it('takes stageTimestamp with its microseconds as nanoseconds', () => {
    assert.deepEqual(secondsAndNanos({ stageTimestamp: '2024-05-01T10:00:00.123456Z' }), [1714557600, 123456000]);
  });

  it('falls back to requestReceivedTimestamp, honouring a zone offset', () => {
    assert.deepEqual(secondsAndNanos({ requestReceivedTimestamp: '2024-05-01T12:00:00.5+02:00' }), [1714557600, 500000000]);
  });

  it('uses the shipping time when the event has no usable timestamp', () => {
    assert.deepEqual(secondsAndNanos({ stageTimestamp: 'yesterday' }, () => 1714557600789), [1714557600, 789000000]);
  });
});
