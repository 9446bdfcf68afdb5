import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AuditEventFactory } from '../../helpers/audit-event-factory.js';
import { LumberjackWriter, formatBackupTimestamp, lumberjackBackupName } from '../../helpers/lumberjack-writer.js';

const T0 = Date.UTC(2026, 10, 27, 14, 3, 5, 123);
const LUMBERJACK_BACKUP = /^audit-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log(\.gz)?$/;

/** A line of exactly `bytes` bytes including its newline, carrying auditID `id`. */
function lineOf(id: string, bytes: number): string {
  const head = `{"auditID":"${id}","stage":"ResponseComplete","pad":"`;
  return `${head}${'x'.repeat(bytes - head.length - 3)}"}`;
}

/** Backups (lumberjack-named) oldest first, as the agent orders them: by the name's timestamp. */
function backupsOf(dir: string): string[] {
  return readdirSync(dir).filter((name) => LUMBERJACK_BACKUP.test(name)).sort();
}

/** Everything the directory still holds, oldest backup first, live file last, gz decompressed. */
function contentOf(dir: string): string {
  const parts = backupsOf(dir).map((name) => {
    const bytes = readFileSync(join(dir, name));
    return name.endsWith('.gz') ? gunzipSync(bytes) : bytes;
  });
  return Buffer.concat([...parts, readFileSync(join(dir, 'audit.log'))]).toString('utf8');
}

describe('LumberjackWriter', () => {
  let dir: string;
  let writer: LumberjackWriter | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lumberjack-writer-'));
  });

  afterEach(async () => {
    await writer?.close();
    writer = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  describe('rotation', () => {
    it('renames to audit-<UTC time>.log when the next line would pass maxSize, and creates a new inode', () => {
      writer = new LumberjackWriter({ dir, maxSizeBytes: 2_000, clock: () => T0 });
      for (const id of ['a', 'b', 'c']) writer.write(lineOf(id, 600));
      const firstInode = statSync(join(dir, 'audit.log')).ino;
      assert.equal(statSync(join(dir, 'audit.log')).size, 1_800);

      writer.write(lineOf('d', 600));

      assert.deepEqual(backupsOf(dir), ['audit-2026-11-27T14-03-05.123.log']);
      const backup = join(dir, 'audit-2026-11-27T14-03-05.123.log');
      assert.equal(statSync(backup).ino, firstInode);
      assert.equal(readFileSync(backup, 'utf8'), ['a', 'b', 'c'].map((id) => `${lineOf(id, 600)}\n`).join(''));
      assert.notEqual(statSync(join(dir, 'audit.log')).ino, firstInode);
      assert.equal(readFileSync(join(dir, 'audit.log'), 'utf8'), `${lineOf('d', 600)}\n`);
      assert.equal(writer.stats.rotations, 1);
    });

    it('fills a file up to exactly maxSize before rotating', () => {
      writer = new LumberjackWriter({ dir, maxSizeBytes: 1_800, clock: () => T0 });
      for (const id of ['a', 'b', 'c']) writer.write(lineOf(id, 600));
      assert.equal(backupsOf(dir).length, 0);
      writer.write(lineOf('d', 600));
      assert.equal(statSync(join(dir, backupsOf(dir)[0]!)).size, 1_800);
    });

    it('keeps the extension after the timestamp for any live file name', () => {
      assert.equal(lumberjackBackupName('kube-apiserver-audit.json', T0), 'kube-apiserver-audit-2026-11-27T14-03-05.123.json');
      assert.equal(formatBackupTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), '2026-01-02T03-04-05.006');
    });

    it('gives unique, increasing names to many rotations within one millisecond, also after a restart', async () => {
      writer = new LumberjackWriter({ dir, maxSizeBytes: 1_000, clock: () => T0 });
      for (let i = 0; i < 5; i++) writer.write(lineOf(`r${i}`, 600));
      await writer.close();
      writer = new LumberjackWriter({ dir, maxSizeBytes: 1_000, clock: () => T0 });
      writer.write(lineOf('r5', 600));

      const names = backupsOf(dir);
      assert.deepEqual(names, ['123', '124', '125', '126', '127'].map((ms) => `audit-2026-11-27T14-03-05.${ms}.log`));
      names.forEach((name, index) => assert.equal(readFileSync(join(dir, name), 'utf8'), `${lineOf(`r${index}`, 600)}\n`));
    });

    it('leaves a moment in which audit.log does not exist, between the rename and the create', () => {
      const seen: boolean[] = [];
      writer = new LumberjackWriter({
        dir,
        maxSizeBytes: 1_000,
        clock: () => T0,
        onRotationGap: ({ livePath, backupPath }) => seen.push(existsSync(livePath), existsSync(backupPath)),
      });
      writer.write(lineOf('a', 600));
      writer.write(lineOf('b', 600));
      assert.deepEqual(seen, [false, true]);
      assert.ok(existsSync(join(dir, 'audit.log')));
    });

    it('appends to an existing audit.log after a restart, keeping its inode', async () => {
      writer = new LumberjackWriter({ dir, maxSizeBytes: 10_000 });
      writer.write(lineOf('a', 600));
      const inode = statSync(join(dir, 'audit.log')).ino;
      await writer.close();
      writer = new LumberjackWriter({ dir, maxSizeBytes: 10_000 });
      writer.write(lineOf('b', 600));
      assert.equal(statSync(join(dir, 'audit.log')).ino, inode);
      assert.equal(readFileSync(join(dir, 'audit.log'), 'utf8'), `${lineOf('a', 600)}\n${lineOf('b', 600)}\n`);
    });

    it('refuses a single write longer than maxSize, as lumberjack does', () => {
      writer = new LumberjackWriter({ dir, maxSizeBytes: 1_000 });
      assert.throws(() => writer!.write(lineOf('big', 1_001)), /write length 1001 exceeds maximum file size 1000/);
    });
  });

  describe('mill', () => {
    it('gzips every backup to .log.gz that decompresses to the exact bytes written, and deletes the .log', async () => {
      const lines = new AuditEventFactory({ seed: 11 }).lines(3_000);
      writer = new LumberjackWriter({ dir, maxSizeBytes: 64 * 1024, compress: true });
      writer.writeMany(lines);
      await writer.flushMill();

      const backups = backupsOf(dir);
      assert.ok(backups.length > 20, `only ${backups.length} backups`);
      assert.ok(backups.every((name) => name.endsWith('.log.gz')), backups.join(' '));
      assert.equal(contentOf(dir), lines.map((line) => `${line}\n`).join(''));
      assert.equal(writer.stats.backupsCompressed, backups.length);
    });

    it('shows each .gz half-written (no trailer, plain .log still there) before completing it', async () => {
      const chunksByGz = new Map<string, { size: number; complete: boolean; decompresses: boolean; plainExists: boolean }[]>();
      writer = new LumberjackWriter({
        dir,
        maxSizeBytes: 256 * 1024,
        compress: true,
        gzipChunkBytes: 4 * 1024,
        onGzipChunk: ({ gzPath, sourcePath, writtenBytes, trailerWritten }) => {
          let decompresses = true;
          try {
            gunzipSync(readFileSync(gzPath));
          } catch {
            decompresses = false;
          }
          assert.equal(statSync(gzPath).size, writtenBytes);
          const chunks = chunksByGz.get(gzPath) ?? [];
          chunks.push({ size: writtenBytes, complete: trailerWritten, decompresses, plainExists: existsSync(sourcePath) });
          chunksByGz.set(gzPath, chunks);
        },
      });
      writer.writeMany(new AuditEventFactory({ seed: 12 }).lines(300));
      writer.rotate();
      await writer.flushMill();

      assert.equal(chunksByGz.size, writer.stats.rotations);
      for (const [gzPath, chunks] of chunksByGz) {
        assert.ok(chunks.length >= 3, `only ${chunks.length} chunks for ${gzPath}`);
        const last = chunks[chunks.length - 1]!;
        assert.deepEqual({ ...last, size: 0 }, { size: 0, complete: true, decompresses: true, plainExists: true });
        for (const partial of chunks.slice(0, -1)) assert.deepEqual({ ...partial, size: 0 }, { size: 0, complete: false, decompresses: false, plainExists: true });
        assert.equal(chunks[chunks.length - 2]!.size, last.size - 8);
      }
      assert.ok(backupsOf(dir).every((name) => name.endsWith('.gz')));
    });

    it('keeps the half-written .gz on disk for as long as a hook holds the mill', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let reachedHold!: () => void;
      const holding = new Promise<void>((resolve) => (reachedHold = resolve));
      writer = new LumberjackWriter({
        dir,
        maxSizeBytes: 1024 * 1024,
        compress: true,
        gzipChunkBytes: 1_024,
        onGzipChunk: async ({ trailerWritten }) => {
          if (trailerWritten) return;
          reachedHold();
          await held;
        },
      });
      writer.writeMany(new AuditEventFactory({ seed: 13 }).lines(100));
      writer.rotate();
      await holding;

      const names = backupsOf(dir);
      assert.equal(names.length, 2, names.join(' '));
      assert.ok(names[0]!.endsWith('.log') && names[1] === `${names[0]}.gz`);
      release();
      await writer.flushMill();
      assert.deepEqual(backupsOf(dir), [names[1]]);
    });

    it('counts a .log and its .log.gz as one backup when enforcing maxBackups', async () => {
      const backup = (second: number, suffix: string): string => `audit-2026-11-27T14-00-0${second}.000.log${suffix}`;
      for (const name of [backup(1, '.gz'), backup(2, '.gz'), backup(3, ''), backup(3, '.gz')]) writeFileSync(join(dir, name), name);
      writer = new LumberjackWriter({ dir, maxSizeBytes: 1_000, maxBackups: 2, clock: () => T0 });
      writer.write(lineOf('a', 600));
      writer.rotate();
      await writer.flushMill();

      assert.deepEqual(backupsOf(dir), [backup(3, ''), backup(3, '.gz'), 'audit-2026-11-27T14-03-05.123.log']);
      assert.equal(writer.stats.backupsDeleted, 2);
    });

    it('after hundreds of rotations keeps exactly the newest maxBackups, all compressed', async () => {
      let now = T0;
      writer = new LumberjackWriter({ dir, maxSizeBytes: 4_096, maxBackups: 7, compress: true, clock: () => (now += 1_000) });
      const lines = new AuditEventFactory({ seed: 14 }).lines(2_000).filter((line) => line.length < 4_000);
      writer.writeMany(lines);
      await writer.flushMill();

      const rotations = writer.stats.rotations;
      assert.ok(rotations > 300, `only ${rotations} rotations`);
      const expected = Array.from({ length: 7 }, (_, i) => `${lumberjackBackupName('audit.log', T0 + (rotations - 6 + i) * 1_000)}.gz`);
      assert.deepEqual(backupsOf(dir), expected);
    });

    it('deletes backups whose name is older than maxAgeDays', async () => {
      const day = 86_400_000;
      for (const age of [10, 3, 1]) writeFileSync(join(dir, lumberjackBackupName('audit.log', T0 - age * day)), 'x');
      writer = new LumberjackWriter({ dir, maxSizeBytes: 1_000, maxAgeDays: 2, clock: () => T0 });
      writer.write(lineOf('a', 600));
      await writer.flushMill();
      assert.deepEqual(backupsOf(dir), [lumberjackBackupName('audit.log', T0 - day)]);
    });
  });

  describe('truncation', () => {
    it('copytruncate copies to audit.log-<time> and truncates audit.log to 0 at the same inode', async () => {
      writer = new LumberjackWriter({ dir, maxSizeBytes: 1_300, copyTruncate: true, clock: () => T0 });
      const live = join(dir, 'audit.log');
      writer.write(lineOf('a', 600));
      writer.write(lineOf('b', 600));
      const inode = statSync(live).ino;

      writer.rotate();
      assert.equal(statSync(live).ino, inode);
      assert.equal(statSync(live).size, 0);
      assert.equal(readFileSync(join(dir, 'audit.log-2026-11-27T14-03-05.123'), 'utf8'), `${lineOf('a', 600)}\n${lineOf('b', 600)}\n`);

      writer.write(lineOf('c', 600));
      writer.write(lineOf('d', 600));
      writer.write(lineOf('e', 600)); // would pass 1 300: a second copytruncate
      assert.equal(statSync(live).ino, inode);
      assert.equal(readFileSync(live, 'utf8'), `${lineOf('e', 600)}\n`);
      assert.deepEqual(readdirSync(dir).sort(), ['audit.log', 'audit.log-2026-11-27T14-03-05.123', 'audit.log-2026-11-27T14-03-05.124']);
      assert.deepEqual(writer.lines.map((line) => [line.auditId, line.generation, line.offset]), [
        ['a', 1, 0],
        ['b', 1, 600],
        ['c', 2, 0],
        ['d', 2, 600],
        ['e', 3, 0],
      ]);
    });

    it('copytruncate with compress gzips the copies to audit.log-<time>.gz', async () => {
      writer = new LumberjackWriter({ dir, maxSizeBytes: 1_000, copyTruncate: true, compress: true, clock: () => T0 });
      writer.write(lineOf('a', 600));
      writer.write(lineOf('b', 600));
      await writer.flushMill();
      assert.deepEqual(readdirSync(dir).sort(), ['audit.log', 'audit.log-2026-11-27T14-03-05.123.gz']);
      assert.equal(gunzipSync(readFileSync(join(dir, 'audit.log-2026-11-27T14-03-05.123.gz'))).toString(), `${lineOf('a', 600)}\n`);
    });

    it('truncateInPlace empties audit.log at the same inode and the next line starts at offset 0', () => {
      writer = new LumberjackWriter({ dir, maxSizeBytes: 10_000 });
      const live = join(dir, 'audit.log');
      writer.write(lineOf('a', 600));
      const inode = statSync(live).ino;
      writer.truncateInPlace();
      assert.equal(statSync(live).size, 0);
      writer.write(lineOf('b', 300));
      assert.equal(statSync(live).ino, inode);
      assert.equal(readFileSync(live, 'utf8'), `${lineOf('b', 300)}\n`);
      assert.equal(writer.stats.truncations, 1);
    });
  });

  describe('record of written lines', () => {
    it('records auditID, stage, file generation and offset of every line, including raw bytes', () => {
      writer = new LumberjackWriter({ dir, maxSizeBytes: 1_200, clock: () => T0 });
      writer.write(lineOf('a', 600));
      writer.writeRaw(Buffer.from('not json\n'));
      writer.write(Buffer.from(lineOf('b', 600)));
      writer.writeRaw(Buffer.from('{"auditID":"partial'));
      assert.deepEqual(writer.lines, [
        { auditId: 'a', stage: 'ResponseComplete', generation: 1, offset: 0, length: 600 },
        { auditId: undefined, stage: undefined, generation: 1, offset: 600, length: 9 },
        { auditId: 'b', stage: 'ResponseComplete', generation: 2, offset: 0, length: 600 },
        { auditId: undefined, stage: undefined, generation: 2, offset: 600, length: 19 },
      ]);
      assert.ok(readFileSync(join(dir, 'audit.log'), 'utf8').endsWith('{"auditID":"partial'));
    });
  });

  describe('throughput', () => {
    it('writes 50 000 factory events through hundreds of compressed rotations and every line survives', async function () {
      this.timeout(120_000);
      const lines = new AuditEventFactory({ seed: 7 }).lines(50_000);
      writer = new LumberjackWriter({ dir, maxSizeBytes: 192 * 1024, compress: true });
      const started = process.hrtime.bigint();
      writer.writeMany(lines);
      const wroteMs = Number(process.hrtime.bigint() - started) / 1e6;
      await writer.flushMill();
      const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
      const { rotations, bytesWritten, backupsCompressed } = writer.stats;
      console.log(
        `      lumberjack-writer: ${lines.length} events, ${(bytesWritten / 1e6).toFixed(1)} MB, ${rotations} rotations, ${backupsCompressed} gzipped; ` +
          `writes ${wroteMs.toFixed(0)} ms (${Math.round(lines.length / (wroteMs / 1000))} events/s), with mill ${totalMs.toFixed(0)} ms`,
      );

      assert.ok(rotations >= 200, `only ${rotations} rotations`);
      assert.equal(backupsCompressed, rotations);
      assert.equal(contentOf(dir), lines.map((line) => `${line}\n`).join(''));
      const recorded = writer.lines.map((line) => `${line.auditId}/${line.stage}`);
      const expected = lines.map((line) => { const e = JSON.parse(line) as { auditID: string; stage: string }; return `${e.auditID}/${e.stage}`; });
      assert.deepEqual(recorded, expected);
    });
  });
});
