import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CHECKPOINT_VERSION, checkpointDocument, parseCheckpoint, type CheckpointEntry } from '../../../src/checkpoint/checkpoint-schema.js';
import { CheckpointStore } from '../../../src/checkpoint/checkpoint-store.js';

const RELEASE_0_1_0 = 'test/fixtures/checkpoint/release-0.1.0/checkpoint.json';

const ENTRY: CheckpointEntry = {
  fingerprint: { hash: 'cb3d8512393026a3bb4d824c6d575ece', length: 965 },
  offset: 14928,
  size: 14928,
  completed: false,
  path: '/var/log/kubernetes/audit.log',
  dev: 65024,
  ino: 9986561,
};

function envelope(body: string): string {
  return `${JSON.stringify({ sha256: createHash('sha256').update(body).digest('hex'), body })}\n`;
}

describe('checkpoint on-disk schema', () => {
  it('reads the checkpoint release 0.1.0 wrote (version 1) and upgrades it: every entry kept, progress dated at its write', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kaf-schema-'));
    copyFileSync(RELEASE_0_1_0, path.join(dir, 'checkpoint.json'));
    const loaded = await new CheckpointStore(dir).load();
    assert.ok(loaded.source === 'current', JSON.stringify(loaded));
    assert.equal(loaded.upgradedFrom, 1);
    assert.equal(loaded.data.version, CHECKPOINT_VERSION);
    assert.equal(loaded.data.progressAt, loaded.data.writtenAt);
    assert.deepEqual(
      loaded.data.files.map((file) => [path.basename(file.path), file.offset, file.completed]),
      [
        ['audit-2026-11-30T10-00-00.000.log.gz', 12862, true],
        ['audit-2026-11-30T11-00-00.000.log', 12914, true],
        ['audit.log', 14928, false],
      ],
    );
  });

  it('writes version 2 in exactly this layout: a sha256 envelope around {version, writtenAt, progressAt, files}', async () => {
    const document = checkpointDocument([ENTRY], new Date('2026-12-01T10:00:00.000Z'), new Date('2026-12-01T10:05:00.000Z'));
    assert.equal(
      JSON.stringify(document),
      '{"version":2,"writtenAt":"2026-12-01T10:05:00.000Z","progressAt":"2026-12-01T10:00:00.000Z","files":[{"fingerprint":{"hash":"cb3d8512393026a3bb4d824c6d575ece","length":965},"offset":14928,"size":14928,"completed":false,"path":"/var/log/kubernetes/audit.log","dev":65024,"ino":9986561}]}',
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'kaf-schema-'));
    await new CheckpointStore(dir).write([ENTRY], new Date('2026-12-01T10:00:00.000Z'));
    const written = JSON.parse(readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as { sha256: string; body: string };
    assert.equal(written.sha256, createHash('sha256').update(written.body).digest('hex'));
    const body = JSON.parse(written.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['version', 'writtenAt', 'progressAt', 'files']);
    assert.equal(body.progressAt, '2026-12-01T10:00:00.000Z');
  });

  it('refuses a checkpoint of a newer schema, saying so, and falls back to the previous generation', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kaf-schema-'));
    const store = new CheckpointStore(dir);
    await store.write([ENTRY]);
    await store.write([{ ...ENTRY, offset: 20000 }]);
    const future = JSON.stringify({ version: 9, writtenAt: new Date().toISOString(), files: [] });
    writeFileSync(path.join(dir, 'checkpoint.json'), envelope(future));
    const loaded = await store.load();
    assert.ok(loaded.source === 'previous');
    assert.equal(loaded.data.files[0]!.offset, 14928);
    assert.match(loaded.problems[0]!, /newer agent \(schema version 9; this agent reads up to 2\)/);
  });

  it('rejects entries that lack a field the agent resumes or reports losses with', () => {
    const { dev: _dev, ...noDevice } = ENTRY;
    for (const files of [[noDevice], [{ ...ENTRY, offset: -1 }], [{ ...ENTRY, fingerprint: { hash: 1 } }]]) {
      const result = parseCheckpoint({ version: 2, writtenAt: '2026-12-01T10:00:00Z', progressAt: '2026-12-01T10:00:00Z', files });
      assert.ok('problem' in result, JSON.stringify(files));
    }
    assert.ok('problem' in parseCheckpoint({ version: 2, writtenAt: '2026-12-01T10:00:00Z', files: [] }), 'version 2 needs progressAt');
    assert.ok('problem' in parseCheckpoint({ writtenAt: '2026-12-01T10:00:00Z', files: [] }), 'no version');
  });
});
