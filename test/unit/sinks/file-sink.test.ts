import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'winston';
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

  it('cuts the torn last line a killed agent left, so the next line is not fused to it, and keeps every whole line', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'kaf-file-')), 'events.jsonl');
    // The torn line is longer than one read chunk, so the search for its start spans chunks.
    const torn = `{"auditID":"b","requestObject":"${'x'.repeat(100_000)}`;
    await writeFile(file, `{"auditID":"a"}\n${torn}`);
    const warnings: unknown[] = [];
    const logger = { warn: (...args: unknown[]) => warnings.push(args) } as unknown as Logger;
    const sink = new FileSink({ path: file, fsync: false }, logger);
    await sink.start();
    await sink.send(batch(1, '{"auditID":"b"}'));
    await sink.close();
    assert.equal(await readFile(file, 'utf8'), '{"auditID":"a"}\n{"auditID":"b"}\n');
    assert.equal(warnings.length, 1);
    assert.match(JSON.stringify(warnings[0]), new RegExp(`"bytes":${Buffer.byteLength(torn)}`));
  });

  it('empties a file whose only content is a torn line, and leaves a file of whole lines untouched', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kaf-file-'));
    const tornOnly = path.join(dir, 'torn.jsonl');
    const whole = path.join(dir, 'whole.jsonl');
    await writeFile(tornOnly, '{"auditID":"a","st');
    await writeFile(whole, '{"auditID":"a"}\n');
    for (const file of [tornOnly, whole]) {
      const sink = new FileSink({ path: file, fsync: false });
      await sink.start();
      await sink.close();
    }
    assert.equal(await readFile(tornOnly, 'utf8'), '');
    assert.equal(await readFile(whole, 'utf8'), '{"auditID":"a"}\n');
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
