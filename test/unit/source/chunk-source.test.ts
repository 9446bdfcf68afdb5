import assert from 'node:assert/strict';
import { appendFile, mkdtemp, open, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CHUNK_BYTES, CopyMovedError, GzipChunkSource, GzipIncompleteError, MIN_READ_BYTES, PlainChunkSource } from '../../../src/source/chunk-source.js';

describe('PlainChunkSource', () => {
  async function growingFile(): Promise<{ file: string; source: PlainChunkSource; close(): Promise<void> }> {
    const dir = await mkdtemp(path.join(tmpdir(), 'kaf-chunks-'));
    const file = path.join(dir, 'audit.log');
    await writeFile(file, '');
    const handle = await open(file, 'r');
    return { file, source: new PlainChunkSource(handle, 0), close: () => handle.close() };
  }

  it('fills one buffer with successive small reads of a growing file, earlier chunks keeping their bytes', async () => {
    const { file, source, close } = await growingFile();
    await appendFile(file, 'first line\n');
    const first = await source.read();
    assert.equal((await source.read()).length, 0, 'nothing new yet');
    await appendFile(file, 'second line\n');
    const second = await source.read();
    assert.equal(first.toString(), 'first line\n');
    assert.equal(second.toString(), 'second line\n');
    assert.equal(second.buffer, first.buffer, 'the second read went into the rest of the first buffer');
    assert.equal(second.byteOffset, first.byteOffset + first.length);
    await close();
  });

  it('takes a fresh buffer once the rest of the current one is shorter than the minimum read', async () => {
    const { file, source, close } = await growingFile();
    const bulk = CHUNK_BYTES - MIN_READ_BYTES + 1;
    await appendFile(file, Buffer.alloc(bulk, 'a'));
    const first = await source.read();
    assert.equal(first.length, bulk);
    await appendFile(file, 'tail\n');
    const second = await source.read();
    assert.equal(second.toString(), 'tail\n');
    assert.notEqual(second.buffer, first.buffer);
    assert.ok(first.every((byte) => byte === 0x61), 'the full buffer was not written again');
    await close();
  });

  it('reads a large file in chunks of at most CHUNK_BYTES, in order, from the start offset', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kaf-chunks-'));
    const file = path.join(dir, 'audit.log');
    const content = Buffer.from(Array.from({ length: 40_000 }, (_, index) => `line ${index}\n`).join(''));
    await writeFile(file, content);
    const handle = await open(file, 'r');
    const source = new PlainChunkSource(handle, 7);
    const chunks: Buffer[] = [];
    for (let chunk = await source.read(); chunk.length > 0; chunk = await source.read()) {
      assert.ok(chunk.length <= CHUNK_BYTES);
      chunks.push(chunk);
    }
    assert.ok(chunks.length > 1);
    assert.ok(Buffer.concat(chunks).equals(content.subarray(7)));
    await handle.close();
  });
});

describe('GzipChunkSource', () => {
  async function gzFile(name: string, content: string): Promise<{ file: string; identity: { dev: number; ino: number } }> {
    const dir = await mkdtemp(path.join(tmpdir(), 'kaf-gz-'));
    const file = path.join(dir, name);
    await writeFile(file, gzipSync(content));
    const { dev, ino } = await stat(file);
    return { file, identity: { dev, ino } };
  }

  async function readAll(source: GzipChunkSource): Promise<string> {
    let text = '';
    for (let chunk = await source.read(); chunk.length > 0; chunk = await source.read()) text += chunk.toString();
    return text;
  }

  it('decompresses from a given offset of the decompressed bytes, and reads empty at the end', async () => {
    const { file, identity } = await gzFile('audit.log.2.gz', 'line one\nline two\n');
    const source = new GzipChunkSource(file, identity, 9);
    assert.equal(await readAll(source), 'line two\n');
    assert.equal((await source.read()).length, 0, 'nothing more after the end');
    await source.close();
  });

  it('refuses a file that took the name since the copy was identified (numbered copies shift)', async () => {
    const { file, identity } = await gzFile('audit.log.2.gz', 'old copy\n');
    await rename(file, `${file}.moved`);
    await writeFile(file, gzipSync('newer copy\n'));
    const source = new GzipChunkSource(file, identity, 0);
    await assert.rejects(source.read(), CopyMovedError);
    await source.close();
  });

  it('reports a copy deleted before reading started as moved, not as an incomplete gzip', async () => {
    const source = new GzipChunkSource('/nonexistent/audit.log.3.gz', { dev: 1, ino: 1 }, 0);
    await assert.rejects(source.read(), CopyMovedError);
  });

  it('fails with GzipIncompleteError on a .gz cut short', async () => {
    const { file, identity } = await gzFile('audit.log.4.gz', 'x'.repeat(100_000));
    const whole = gzipSync('x'.repeat(100_000));
    await writeFile(file, whole.subarray(0, whole.length - 8));
    const source = new GzipChunkSource(file, identity, 0);
    await assert.rejects(readAll(source), GzipIncompleteError);
    await source.close();
  });
});
