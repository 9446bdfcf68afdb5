import assert from 'node:assert/strict';
import { Decoder, ExtData } from '@msgpack/msgpack';
import { EVENT_TIME_BYTES, writeEventTime } from '../../../../src/sinks/forward/event-time.js';

function secondsAndNanos(event: Record<string, unknown>, now?: () => number): [number, number] {
  const out = Buffer.alloc(EVENT_TIME_BYTES + 2, 0xff);
  writeEventTime(event, out, 1, now);
  assert.equal(out[0], 0xff, 'nothing written before the offset');
  assert.equal(out[EVENT_TIME_BYTES + 1], 0xff, 'nothing written past EVENT_TIME_BYTES');
  const ext = new Decoder().decode(out.subarray(1, 1 + EVENT_TIME_BYTES)) as ExtData;
  assert.ok(ext instanceof ExtData, 'a msgpack ext');
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

  it('reads timestamps of the second parsed last exactly as any other (fractions, zones, malformed ones)', () => {
    const cases: [string, [number, number] | undefined][] = [
      ['2024-05-01T10:00:00.123456Z', [1714557600, 123456000]],
      ['2024-05-01T10:00:00.9Z', [1714557600, 900000000]],
      ['2024-05-01T10:00:00Z', [1714557600, 0]],
      ['2024-05-01T10:00:00.123456789Z', [1714557600, 123456789]],
      ['2024-05-01T10:00:00.1234567891Z', undefined],
      ['2024-05-01T10:00:00.Z', undefined],
      ['2024-05-01T10:00:00.12a4Z', undefined],
      ['2024-05-01T10:00:00.5+02:00', [1714550400, 500000000]],
      ['2024-05-01T10:00:00.5Z', [1714557600, 500000000]],
      ['2024-05-01T10:00:00.5Zjunk', undefined],
      ['2024-05-01T10:00:01.000001Z', [1714557601, 1000]],
    ];
    for (const [stamp, expected] of cases) {
      const now = () => 1_000_000;
      assert.deepEqual(secondsAndNanos({ stageTimestamp: stamp }, now), expected ?? [1000, 0], stamp);
    }
  });
});
