import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, renameSync, rmdirSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CheckpointEntry } from '../../../src/checkpoint/checkpoint-schema.js';
import { FileDiscovery } from '../../../src/source/file-discovery.js';
import type { FileReader } from '../../../src/source/file-reader.js';
import { fingerprintOf } from '../../../src/source/fingerprint.js';
import type { StartSettings } from '../../../src/source/start-position.js';
import type { RetryBackoff } from '../../../src/source/unreadable-files.js';
import { waitUntil } from '../../helpers/agent-process.js';
import { asNobody, chmodSeen } from '../../helpers/read-permission.js';
import { recordingSourceEvents } from '../../helpers/recording-source-events.js';

const A = '{"auditID":"a1"}\n{"auditID":"a2"}\n';
const B = '{"auditID":"b1"}\n{"auditID":"b2"}\n';
const C = '{"auditID":"c1"}\n';
const BACKUP = 'audit-2026-12-01T10-00-00.000.log';

describe('FileDiscovery', () => {
  let dir: string;
  let discoveries: FileDiscovery[];
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kaf-discovery-'));
    discoveries = [];
  });
  afterEach(async () => {
    for (const found of discoveries) await found.close();
  });

  function discovery(
    options: { checkpoint?: CheckpointEntry[]; start?: Partial<StartSettings>; finishedRetentionMs?: number; firstLineGraceMs?: number; unreadableRetry?: RetryBackoff } = {},
  ) {
    const recorder = recordingSourceEvents();
    const found = new FileDiscovery({
      livePath: path.join(dir, 'audit.log'),
      maxLineBytes: 1024,
      hardCapBytes: 4096,
      checkpoint: options.checkpoint ?? [],
      start: { startAt: 'beginning', replay: false, checkpointUnusable: false, ...options.start },
      events: recorder.events,
      ...(options.finishedRetentionMs !== undefined ? { finishedRetentionMs: options.finishedRetentionMs } : {}),
      ...(options.firstLineGraceMs !== undefined ? { firstLineGraceMs: options.firstLineGraceMs } : {}),
      ...(options.unreadableRetry !== undefined ? { unreadableRetry: options.unreadableRetry } : {}),
    });
    discoveries.push(found);
    return { discovery: found, ...recorder };
  }

  function write(name: string, content: string | Buffer): void {
    writeFileSync(path.join(dir, name), content);
  }

  function entry(content: string, offset: number, completed = false, name = 'audit.log'): CheckpointEntry {
    return { fingerprint: fingerprintOf(Buffer.from(content))!, offset, size: content.length, completed, path: path.join(dir, name), dev: 0, ino: 0 };
  }

  /** Reads a reader to where it stops, acknowledging every line. */
  async function readAll(reader: FileReader): Promise<string[]> {
    const lines: string[] = [];
    for (let attempt = 0; attempt < 20 && reader.readable(); attempt += 1) {
      const outcome = await reader.read((line) => {
        lines.push(line.bytes.toString());
        reader.ack(line.end);
      });
      if (outcome === 'idle' || outcome === 'finished') break;
    }
    return lines;
  }

  it('finds the live file and its backups, plain and gzipped, oldest first; other files are not the log', async () => {
    write('audit-2026-12-01T09-00-00.000.log.gz', gzipSync(A));
    write(BACKUP, B);
    write('audit.log', C);
    write('kube-apiserver.log', 'not ours\n');
    const { discovery: found } = discovery();
    await found.scan();
    assert.deepEqual(
      found.ordered().map((reader) => reader.displayName),
      ['audit-2026-12-01T09-00-00.000.log.gz', BACKUP, 'audit.log'],
    );
  });

  it('follows the live file through its rename to a backup and reports one rotation with the new path', async () => {
    write('audit.log', A);
    const { discovery: found, named } = discovery();
    await found.scan();
    const [reader] = found.ordered();
    renameSync(path.join(dir, 'audit.log'), path.join(dir, BACKUP));
    write('audit.log', B);
    await found.scan();
    assert.equal(found.ordered()[0], reader, 'the same reader goes on with the renamed file');
    assert.deepEqual(
      named('rotated').map((event) => event.path),
      [path.join(dir, BACKUP)],
    );
    assert.equal(named('truncated').length, 0);
  });

  it('matches a .gz backup to its plain file by fingerprint: one reader for both copies', async () => {
    write(BACKUP, A);
    const { discovery: found } = discovery();
    await found.scan();
    write(`${BACKUP}.gz`, gzipSync(A));
    await found.scan();
    assert.equal(found.ordered().length, 1);
  });

  it('reports a truncation in place as a truncation only, and tracks what follows as a new generation from 0', async () => {
    write('audit.log', A);
    const { discovery: found, named } = discovery();
    await found.scan();
    await readAll(found.ordered()[0]!);
    truncateSync(path.join(dir, 'audit.log'), 0);
    appendFileSync(path.join(dir, 'audit.log'), B);
    await found.scan();
    assert.equal(named('truncated').length, 1);
    assert.equal(named('rotated').length, 0);
    const newGeneration = found.ordered().find((reader) => reader.key === fingerprintOf(Buffer.from(B))!.hash);
    assert.deepEqual(await readAll(newGeneration!), ['{"auditID":"b1"}', '{"auditID":"b2"}']);
  });

  it('resumes a file the checkpoint knows at its offset, whatever --start-at says', async () => {
    write('audit.log', A);
    const { discovery: found, named } = discovery({ checkpoint: [entry(A, 17)], start: { startAt: 'end' } });
    await found.scan();
    assert.equal(named('fileFound')[0]!.origin, 'checkpoint');
    assert.deepEqual(await readAll(found.ordered()[0]!), ['{"auditID":"a2"}']);
  });

  it('starts a file the checkpoint does not know at its end with --start-at end, and a file created later at 0', async () => {
    write('audit.log', A);
    const { discovery: found, named } = discovery({ start: { startAt: 'end' } });
    await found.scan();
    assert.deepEqual(await readAll(found.ordered()[0]!), []);
    write(BACKUP, B);
    await found.scan();
    assert.deepEqual(
      named('fileFound').map((event) => [event.origin, event.offset]),
      [
        ['start-at-end', A.length],
        ['created-while-running', 0],
      ],
    );
  });

  it('--replay reads a file the checkpoint had acknowledged again from 0 and reports the bytes sent twice', async () => {
    write('audit.log', A);
    const { discovery: found, named } = discovery({ checkpoint: [entry(A, A.length)], start: { replay: true } });
    await found.scan();
    assert.equal(named('replaying')[0]!.acknowledged, A.length);
    assert.equal((await readAll(found.ordered()[0]!)).length, 2);
  });

  it('reports the byte range of a checkpointed file deleted while the agent was down, and nothing for a completed one', async () => {
    write('audit.log', C);
    const { discovery: found, named } = discovery({ checkpoint: [entry(A, 17, false, BACKUP), entry(B, B.length, true, 'old.log')] });
    await found.scan();
    assert.deepEqual(
      named('lost').map((event) => [event.path, event.fromByte, event.toByte]),
      [[path.join(dir, BACKUP), 17, A.length]],
    );
  });

  it('reports the unread bytes of a truncated file with no copy as lost, with its path, only after two settled scans without it', async () => {
    write('audit.log', A);
    const { discovery: found, named } = discovery();
    await found.scan(); // tracked, not read
    writeFileSync(path.join(dir, 'audit.log'), B); // truncated and rewritten before it was read
    await found.scan();
    assert.equal(named('truncated').length, 1);
    assert.equal(named('lost').length, 0, 'one scan without it proves nothing yet');
    await found.scan();
    assert.deepEqual(
      named('lost').map((event) => [event.path, event.fromByte, event.toByte]),
      [[path.join(dir, 'audit.log'), 0, A.length]],
    );
  });

  it('reports a checkpointed file deleted while the agent was down although the live file and a complete .gz have no first line', async () => {
    write('audit.log', '{"auditID":"half');
    write('audit-2026-12-01T09-00-00.000.log.gz', gzipSync(''));
    const { discovery: found, named } = discovery({ checkpoint: [entry(A, 17, false, BACKUP)] });
    await found.scan();
    assert.deepEqual(
      named('lost').map((event) => [event.fromByte, event.toByte]),
      [[17, A.length]],
    );
  });

  it('holds up loss reports while a backup without a first line was written to within the grace', async () => {
    write('audit.log', C);
    write('audit.log.1', '');
    const { discovery: found, named } = discovery({ checkpoint: [entry(A, 17, false, BACKUP)], firstLineGraceMs: 300 });
    await found.scan();
    appendFileSync(path.join(dir, 'audit.log.1'), '{"auditID":');
    await found.scan();
    assert.equal(named('lost').length, 0, 'it may still become a copy of the checkpointed file');
    await waitUntil(
      async () => {
        await found.scan();
        return named('lost').length > 0;
      },
      10_000,
      'the loss report once the backup stayed unchanged for the grace',
    );
    assert.deepEqual(
      named('lost').map((event) => [event.fromByte, event.toByte]),
      [[17, A.length]],
    );
  });

  it('reads a backup that had no first line once its first line is complete', async () => {
    write('audit.log', C);
    write(BACKUP, '{"auditID":"b1"');
    const { discovery: found } = discovery({ firstLineGraceMs: 0 });
    await found.scan();
    await found.scan();
    assert.deepEqual(found.ordered().map((reader) => reader.displayName), ['audit.log']);
    write(BACKUP, B);
    await found.scan();
    const [backup] = found.ordered();
    assert.equal(backup!.displayName, BACKUP);
    assert.deepEqual(await readAll(backup!), B.trimEnd().split('\n'));
  });

  it('recognises a finished file whose copy turns up again after it was forgotten, and does not read it again', async () => {
    write(BACKUP, A);
    const { discovery: found, named } = discovery();
    await found.scan();
    await readAll(found.ordered()[0]!);
    await found.scan(); // completed: handles closed
    renameSync(path.join(dir, BACKUP), path.join(dir, 'elsewhere'));
    await found.scan();
    await found.scan();
    await found.scan();
    assert.equal(named('forgotten').length, 1, 'gone for two settled scans');
    assert.equal(found.ordered().length, 0);
    assert.ok(found.checkpointEntries().some((kept) => kept.completed && kept.fingerprint.hash === fingerprintOf(Buffer.from(A))!.hash));
    renameSync(path.join(dir, 'elsewhere'), path.join(dir, `${BACKUP}`));
    await found.scan();
    const [again] = found.ordered();
    assert.equal(again!.completed, true, 'known as finished');
    assert.equal(again!.readable(), false, 'nothing to read again');
  });

  it('reports a directory that cannot be listed once, and whether any file of the log was found', async () => {
    const missing = new FileDiscovery({
      livePath: path.join(dir, 'nope', 'audit.log'),
      maxLineBytes: 1024,
      hardCapBytes: 4096,
      checkpoint: [],
      start: { startAt: 'beginning', replay: false, checkpointUnusable: false },
      events: recordingSourceEvents().events,
    });
    await missing.scan();
    assert.equal(missing.directoryState().listable, false);
    const { discovery: found, named } = discovery();
    await found.scan();
    assert.equal(found.directoryState().listable, true);
    assert.equal(found.directoryState().logFileFound, false, 'no file of the log yet');
    write('audit.log', A);
    await found.scan();
    assert.equal(found.directoryState().logFileFound, true);
    assert.equal(named('directoryUnlistable').length, 0);
  });

  it('tells a missing directory once, and that it can be listed again', async () => {
    const livePath = path.join(dir, 'later', 'audit.log');
    const recorder = recordingSourceEvents();
    const found = new FileDiscovery({
      livePath,
      maxLineBytes: 1024,
      hardCapBytes: 4096,
      checkpoint: [],
      start: { startAt: 'beginning', replay: false, checkpointUnusable: false },
      events: recorder.events,
    });
    discoveries.push(found);
    await found.scan();
    await found.scan();
    assert.equal(recorder.named('directoryUnlistable').length, 1);
    mkdirSync(path.dirname(livePath));
    await found.scan();
    assert.equal(recorder.named('directoryListable').length, 1);
  });

  // Running as root, chmod 000 stops no read: a directory (EISDIR) and a symbolic link to nothing
  // (ENOENT at the name) are the entries nobody can open; EACCES is proven as another user in
  // test/integration/core/bad-input.test.ts.
  it('reports a backup that cannot be opened once, with its path and errno, and still reports the loss of a deleted checkpointed file', async () => {
    write('audit.log', C);
    mkdirSync(path.join(dir, BACKUP));
    const { discovery: found, named } = discovery({ checkpoint: [entry(A, 17, false, 'audit-2026-12-01T08-00-00.000.log')] });
    await found.scan();
    await found.scan();
    await found.scan();
    assert.deepEqual(
      named('unreadable').map((event) => [event.path, event.code]),
      [[path.join(dir, BACKUP), 'EISDIR']],
      'reported once',
    );
    assert.deepEqual(
      named('lost').map((event) => [event.fromByte, event.toByte]),
      [[17, A.length]],
    );
    assert.equal(found.decisionsPending, false);
    assert.deepEqual(found.unreadableFiles().map((file) => file.path), [path.join(dir, BACKUP)]);
    assert.deepEqual(found.ordered().map((reader) => reader.displayName), ['audit.log'], 'the other files are read');
  });

  it('reports a symbolic link to nothing named like a backup as unreadable, and forgets a file done and gone meanwhile', async () => {
    write(BACKUP, A);
    write('audit.log', C);
    const { discovery: found, named } = discovery();
    await found.scan();
    await readAll(found.ordered()[0]!);
    renameSync(path.join(dir, BACKUP), path.join(dir, 'elsewhere'));
    symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'audit-2026-12-01T11-00-00.000.log'));
    for (let scan = 0; scan < 4; scan += 1) await found.scan();
    assert.deepEqual(
      named('unreadable').map((event) => event.code),
      ['ENOENT'],
    );
    assert.equal(named('forgotten').length, 1);
    assert.equal(found.decisionsPending, false);
  });

  it('holds back the checkpoint entry at the inode of an unreadable file: not reported lost, kept, not pending; reported once that file left', async () => {
    write('audit.log', C);
    const locked = path.join(dir, BACKUP);
    mkdirSync(locked);
    const { dev, ino } = statSync(locked);
    const held = { ...entry(A, 17, false, BACKUP), dev, ino };
    const { discovery: found, named } = discovery({ checkpoint: [held] });
    await found.scan();
    await found.scan();
    await found.scan();
    assert.equal(named('lost').length, 0, 'it may be that file: nothing is lost while it is there');
    assert.ok(found.checkpointEntries().some((kept) => kept.fingerprint.hash === held.fingerprint.hash && kept.offset === 17));
    assert.equal(found.decisionsPending, false, 'nothing the directory can settle');
    rmdirSync(locked);
    await found.scan();
    await found.scan();
    assert.deepEqual(
      named('unreadableGone').map((event) => event.path),
      [locked],
    );
    assert.deepEqual(
      named('lost').map((event) => [event.path, event.fromByte, event.toByte]),
      [[locked, 17, A.length]],
    );
    assert.deepEqual(found.unreadableFiles(), []);
  });

  it('holds back the checkpoint entry of a backup whose .gz cannot be read, and reports it lost once that .gz left', async () => {
    write('audit.log', C);
    const gz = path.join(dir, `${BACKUP}.gz`);
    symlinkSync(path.join(dir, 'nowhere'), gz);
    const { discovery: found, named } = discovery({ checkpoint: [entry(A, 17, false, BACKUP)] });
    await found.scan();
    await found.scan();
    assert.equal(named('lost').length, 0, 'the .gz may hold its unread bytes');
    assert.equal(found.decisionsPending, false);
    rmSync(gz);
    await found.scan();
    await found.scan();
    assert.deepEqual(
      named('lost').map((event) => [event.fromByte, event.toByte]),
      [[17, A.length]],
    );
  });

  // Discovery identified these files while it could read them; then their read permission went.
  describe('a backup that became unreadable after it was identified', () => {
    /** Long enough that no retry is due during the test but the one a change of mode brings. */
    const NOT_DUE_IN_THIS_TEST = { minMs: 10 * 60_000, maxMs: 10 * 60_000 };
    beforeEach(() => {
      chmodSync(dir, 0o755); // nobody may reach the files: their own mode is what denies them
    });

    it('counts its .gz in the unreadable files, reports it once, tries it again with backoff and not at every scan, and once readable reads on from its position: every line once', async () => {
      const gz = path.join(dir, `${BACKUP}.gz`);
      write(`${BACKUP}.gz`, gzipSync(A));
      write('audit.log', C);
      const acknowledged = entry(A, 17, false, BACKUP);
      const { discovery: found, named } = discovery({ checkpoint: [acknowledged], unreadableRetry: NOT_DUE_IN_THIS_TEST });
      await found.scan();
      const [backup] = found.ordered();
      assert.equal(backup!.displayName, `${BACKUP}.gz`);
      const identifiedCtime = statSync(gz).ctimeMs;
      await chmodSeen(gz, 0o000, identifiedCtime);
      const lockedCtime = statSync(gz).ctimeMs;
      await asNobody(async () => {
        await found.scan(); // it sees the mode change, as the scan before a read does
        assert.deepEqual(await readAll(backup!), []);
        for (let scan = 0; scan < 3; scan += 1) {
          await found.scan();
          assert.equal(backup!.readable(), false, `tried again at scan ${scan + 1}, before its backoff passed`);
        }
      });
      assert.deepEqual(
        named('unreadable').map((event) => [event.path, event.code]),
        [[gz, 'EACCES']],
        'reported once',
      );
      assert.deepEqual(found.unreadableFiles().map((file) => [file.path, file.code]), [[gz, 'EACCES']]);
      assert.equal(found.decisionsPending, false, 'it holds up nothing else');
      assert.equal(named('lost').length, 0, 'on disk, not lost');
      const kept = found.checkpointEntries().find((kept) => kept.fingerprint.hash === acknowledged.fingerprint.hash);
      assert.equal(kept?.offset, 17, 'its position stays where it was acknowledged');
      await chmodSeen(gz, 0o644, lockedCtime);
      const lines = await asNobody(async () => {
        await found.scan();
        assert.equal(backup!.readable(), true, 'a chmod that makes it readable is not tried at once');
        return readAll(backup!);
      });
      assert.deepEqual(lines, ['{"auditID":"a2"}'], 'the line after its position, once');
      assert.equal(backup!.completed, true);
      assert.deepEqual(named('readableAgain').map((event) => event.path), [gz]);
      assert.deepEqual(found.unreadableFiles(), []);
    });

    it('reports its .gz gone, not unreadable, once it left the directory unread, and the bytes it held lost', async () => {
      const gz = path.join(dir, `${BACKUP}.gz`);
      write(`${BACKUP}.gz`, gzipSync(A));
      write('audit.log', C);
      const { discovery: found, named } = discovery({ checkpoint: [entry(A, 17, false, BACKUP)], unreadableRetry: NOT_DUE_IN_THIS_TEST });
      await found.scan();
      chmodSync(gz, 0o000);
      await asNobody(() => readAll(found.ordered()[0]!));
      assert.equal(found.unreadableFiles().length, 1);
      rmSync(gz);
      for (let scan = 0; scan < 3; scan += 1) await found.scan();
      assert.deepEqual(named('unreadableGone').map((event) => event.path), [gz]);
      assert.deepEqual(found.unreadableFiles(), []);
      assert.deepEqual(
        named('lost').map((event) => [event.path, event.fromByte, event.toByte]),
        [[gz, 17, A.length]],
      );
    });

    it('reads a plain backup whose read permission went to its end through the handle held since it was identified: it never is unreadable', async () => {
      write(BACKUP, A);
      write('audit.log', C);
      const { discovery: found, named } = discovery({ unreadableRetry: NOT_DUE_IN_THIS_TEST });
      await found.scan();
      chmodSync(path.join(dir, BACKUP), 0o000);
      const lines = await asNobody(async () => {
        await found.scan();
        return readAll(found.ordered()[0]!);
      });
      assert.deepEqual(lines, A.trimEnd().split('\n'));
      assert.deepEqual(found.unreadableFiles(), []);
      assert.equal(named('unreadable').length, 0);
    });
  });

  it('reads a file that was unreadable as soon as a file that can be read takes its name, from its start, and says it is readable again', async () => {
    write('audit.log', C);
    mkdirSync(path.join(dir, BACKUP));
    const { discovery: found, named } = discovery();
    await found.scan();
    rmdirSync(path.join(dir, BACKUP));
    write(BACKUP, B);
    await found.scan();
    assert.deepEqual(
      named('readableAgain').map((event) => event.path),
      [path.join(dir, BACKUP)],
    );
    const [backup] = found.ordered();
    assert.equal(backup!.displayName, BACKUP);
    assert.deepEqual(await readAll(backup!), B.trimEnd().split('\n'));
  });

  it('reads a new file that takes the name of one unreadable at the first scan from its start, whatever --start-at says', async () => {
    write('audit.log', C);
    mkdirSync(path.join(dir, BACKUP));
    const { discovery: found, named } = discovery({ start: { startAt: 'end' } });
    await found.scan();
    write('new', B); // created while the directory holds its inode: another inode
    rmdirSync(path.join(dir, BACKUP));
    renameSync(path.join(dir, 'new'), path.join(dir, BACKUP));
    await found.scan();
    assert.deepEqual(
      named('fileFound').map((event) => [path.basename(String(event.path)), event.origin, event.offset]),
      [
        ['audit.log', 'start-at-end', C.length],
        [BACKUP, 'created-while-running', 0],
      ],
    );
  });
});
