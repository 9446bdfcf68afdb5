import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CheckpointStore } from '../../../src/checkpoint/checkpoint-store.js';
import type { CheckpointEntry } from '../../../src/checkpoint/checkpoint-schema.js';

function entry(offset: number): CheckpointEntry {
  return { fingerprint: { hash: 'abc', length: 10 }, offset, size: 1000, completed: false, path: '/x/audit.log', dev: 1, ino: 2 };
}

describe('CheckpointStore', () => {
  let dir: string;
  let store: CheckpointStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kaf-cp-'));
    store = new CheckpointStore(dir);
  });

  it('reports no checkpoint and no problem on a first start', async () => {
    assert.deepEqual(await store.load(), { source: 'none', problems: [] });
  });

  it('reads back the latest generation and keeps the one before it', async () => {
    await store.write([entry(10)]);
    await store.write([entry(20)]);
    const loaded = await store.load();
    assert.ok(loaded.source === 'current');
    assert.equal(loaded.data.files[0]!.offset, 20);
    assert.deepEqual((await readdir(dir)).sort(), ['checkpoint.json', 'checkpoint.previous.json']);
  });

  it('falls back to the previous generation, and says why, when the current one is corrupt', async () => {
    await store.write([entry(10)]);
    await store.write([entry(20)]);
    const current = path.join(dir, 'checkpoint.json');
    const text = await readFile(current, 'utf8');
    await writeFile(current, text.replace('"offset\\":20', '"offset\\":99')); // edited: checksum no longer matches
    const loaded = await store.load();
    assert.ok(loaded.source === 'previous');
    assert.equal(loaded.data.files[0]!.offset, 10);
    assert.match(loaded.problems[0]!, /checksum mismatch/);
  });

  it('falls back when the current generation is torn (half written)', async () => {
    await store.write([entry(10)]);
    await store.write([entry(20)]);
    const current = path.join(dir, 'checkpoint.json');
    const text = await readFile(current, 'utf8');
    await writeFile(current, text.slice(0, 25));
    const loaded = await store.load();
    assert.equal(loaded.source, 'previous');
    assert.match(loaded.problems[0]!, /not valid JSON/);
  });

  it('returns none with every problem listed when no generation is usable', async () => {
    await writeFile(path.join(dir, 'checkpoint.json'), 'garbage');
    await writeFile(path.join(dir, 'checkpoint.previous.json'), '{"sha256":"x","body":"{}"}');
    const loaded = await store.load();
    assert.equal(loaded.source, 'none');
    assert.equal(loaded.problems.length, 2);
  });

  it('ignores a temporary file left by a crash during a write', async () => {
    await store.write([entry(10)]);
    await writeFile(path.join(dir, 'checkpoint.json.tmp'), '{"trunc');
    const loaded = await store.load();
    assert.equal(loaded.source, 'current');
    assert.deepEqual(loaded.problems, []);
  });
});
