import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Batch } from '../../../src/pipeline/audit-record.js';
import { StdoutSink } from '../../../src/sinks/stdout/stdout-sink.js';

function batch(...values: string[]): Batch {
  const records = values.map((value) => ({ value: Buffer.from(value), event: {}, origin: { path: 'f', offset: 0 } }));
  return { id: 1, records, bytes: records.reduce((sum, record) => sum + record.value.length, 0) };
}

describe('StdoutSink', () => {
  it('writes each event as one JSON line and resolves once the stream took them', async () => {
    const chunks: Buffer[] = [];
    const output = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    });
    const sink = new StdoutSink(output);
    await sink.start();
    await sink.send(batch('{"a":1}', '{"b":2}'));
    assert.equal(Buffer.concat(chunks).toString(), '{"a":1}\n{"b":2}\n');
    assert.equal(sink.health().ready, true);
  });

  it('rejects the batch and reports not ready when the pipe is closed, instead of crashing', async () => {
    const output = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const sink = new StdoutSink(output);
    await sink.start();
    await assert.rejects(sink.send(batch('{"a":1}')), /EPIPE/);
    assert.deepEqual(sink.health(), { ready: false, detail: 'last write failed: write EPIPE' });
  });
});
