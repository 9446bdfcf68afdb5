import assert from 'node:assert/strict';
import { mkdtemp, open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeAll, type WritableHandle } from '../../../src/sinks/file/write-all.js';

/** A handle that takes at most `most` bytes per call, as write(2) may near a full disk. */
function shortWritingHandle(most: number): { handle: WritableHandle; written: Buffer[] } {
  const written: Buffer[] = [];
  const take = (bytes: Buffer): number => {
    const taken = bytes.subarray(0, most);
    written.push(Buffer.from(taken));
    return taken.length;
  };
  const handle = {
    writev: async (parts: Buffer[]) => ({ bytesWritten: take(Buffer.concat(parts)), buffers: parts }),
    write: async (buffer: Buffer, offset = 0) => ({ bytesWritten: take(buffer.subarray(offset)), buffer }),
  } as unknown as WritableHandle;
  return { handle, written };
}

describe('writeAll', () => {
  it('finishes a batch whose first write ended short, from where it stopped and in order', async () => {
    const parts = ['{"a":1}', '\n', '{"b":22}', '\n', '{"c":333}', '\n'].map((part) => Buffer.from(part));
    const total = parts.reduce((sum, part) => sum + part.length, 0);
    const { handle, written } = shortWritingHandle(4);
    await writeAll(handle, parts, total);
    assert.equal(Buffer.concat(written).toString(), '{"a":1}\n{"b":22}\n{"c":333}\n');
    assert.ok(written.length > 1, 'the handle wrote short, so more than one write was needed');
  });

  it('writes more parts than one writev(2) takes (IOV_MAX is 1024) to a real file, in order', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'kaf-writev-')), 'out.jsonl');
    const lines = Array.from({ length: 5000 }, (_, index) => `{"n":${index}}`);
    const parts = lines.flatMap((line) => [Buffer.from(line), Buffer.from('\n')]);
    const handle = await open(file, 'a');
    try {
      await writeAll(handle, parts, parts.reduce((sum, part) => sum + part.length, 0));
    } finally {
      await handle.close();
    }
    assert.deepEqual((await readFile(file, 'utf8')).split('\n').slice(0, -1), lines);
  });
});
