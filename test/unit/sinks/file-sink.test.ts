import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Batch } from '../../../src/pipeline/audit-record.js';
import { FileSink } from '../../../src/sinks/file/file-sink.js';

function batch(id: number, ...values: string[]): Batch {
  const records = values.map((value) => ({ value: Buffer.from(value), event: {}, origin: { path: 'f', offset: 0 } }));
  return { id, records, bytes: records.reduce((sum, record) => sum + record.value.length, 0) };
}

describe('FileSink', () => {
  it('appends batches sent concurrently as whole, ordered JSON lines', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'kaf-file-')), 'out', 'events.jsonl');
    const sink = new FileSink({ path: file, fsync: true });
    await sink.start();
    await Promise.all([sink.send(batch(1, '{"a":1}', '{"a":2}')), sink.send(batch(2, '{"b":1}'))]);
    await sink.close();
    assert.equal(await readFile(file, 'utf8'), '{"a":1}\n{"a":2}\n{"b":1}\n');
  });

  it('rejects a batch the disk refuses (ENOSPC) and reports it in health', async () => {
    const sink = new FileSink({ path: '/dev/full', fsync: false });
    await sink.start();
    await assert.rejects(sink.send(batch(1, '{"a":1}')), /ENOSPC/);
    assert.equal(sink.health().ready, false);
    assert.match(sink.health().detail, /ENOSPC/);
    await sink.close();
  });
});
