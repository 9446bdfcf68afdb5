import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CopiesView, FileCopy } from '../../../src/source/file-copy.js';
import { FileReader, type ReadOutcome } from '../../../src/source/file-reader.js';
import { fingerprintOf } from '../../../src/source/fingerprint.js';
import type { Line } from '../../../src/source/line-splitter.js';
import { UnreadableCopies } from '../../../src/source/unreadable-copies.js';
import { asNobody, chmodSeen } from '../../helpers/read-permission.js';
import { recordingSourceEvents } from '../../helpers/recording-source-events.js';

const CONTENT = '{"auditID":"a1"}\n{"auditID":"a2"}\n{"auditID":"a3"}\n';

describe('FileReader', () => {
  let dir: string;
  const handles: FileHandle[] = [];
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kaf-reader-'));
  });
  afterEach(async () => {
    for (const handle of handles.splice(0)) await handle.close().catch(() => undefined);
  });

  function copyOf(name: string, compressed = false): FileCopy {
    const info = statSync(path.join(dir, name));
    return { name, dev: info.dev, ino: info.ino, compressed, orderKey: name, size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, onDisk: true };
  }

  async function openCopy(name: string): Promise<FileHandle> {
    const handle = await open(path.join(dir, name), 'r');
    handles.push(handle);
    return handle;
  }

  function reader(view: { copies: FileCopy[]; live: boolean }, startOffset = 0, content = CONTENT, now: () => number = Date.now) {
    const recorder = recordingSourceEvents();
    const failures = new UnreadableCopies(dir, recorder.events, now, { minMs: 1_000, maxMs: 4_000 });
    const file = new FileReader({
      fingerprint: fingerprintOf(Buffer.from(content))!,
      startOffset,
      completed: false,
      copies: view as CopiesView,
      directory: dir,
      maxLineBytes: 1024,
      hardCapBytes: 4096,
      events: recorder.events,
      readFailures: failures,
    });
    return { file, failures, ...recorder };
  }

  async function readUntil(file: FileReader, stop: ReadOutcome[]): Promise<{ lines: Line[]; outcome: ReadOutcome }> {
    const lines: Line[] = [];
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const outcome = await file.read((line) => lines.push({ ...line, bytes: Buffer.from(line.bytes) }));
      if (stop.includes(outcome)) return { lines, outcome };
    }
    throw new Error('reader never reached the expected outcome');
  }

  it('reads the live file from its start offset, each line with its end offset, and idles at its end', async () => {
    writeFileSync(path.join(dir, 'audit.log'), CONTENT);
    const live = copyOf('audit.log');
    const { file } = reader({ copies: [live], live: true }, 17);
    file.adopt(live, await openCopy('audit.log'));
    const { lines, outcome } = await readUntil(file, ['idle']);
    assert.equal(outcome, 'idle');
    assert.deepEqual(
      lines.map((line) => [line.bytes.toString(), line.end]),
      [
        ['{"auditID":"a2"}', 34],
        ['{"auditID":"a3"}', 51],
      ],
    );
    assert.equal(file.finished, false, 'the live file may still grow');
  });

  it('holds back a partial last line of the live file, and hands it on as final once the file was rotated away', async () => {
    writeFileSync(path.join(dir, 'audit.log'), `${CONTENT}{"auditID":"a4"`);
    const view = { copies: [copyOf('audit.log')], live: true };
    const { file } = reader(view);
    file.adopt(view.copies[0]!, await openCopy('audit.log'));
    const first = await readUntil(file, ['idle']);
    assert.equal(first.lines.length, 3);
    assert.equal(file.readTo, CONTENT.length + 15, 'the partial line is read but not handed on');
    view.live = false;
    const second = await readUntil(file, ['finished']);
    assert.deepEqual(
      second.lines.map((line) => line.bytes.toString()),
      ['{"auditID":"a4"'],
    );
    assert.equal(file.finished, true);
  });

  it('is completed only once its last line is acknowledged, and then closes its handles', async () => {
    writeFileSync(path.join(dir, 'audit-1.log'), CONTENT);
    const copy = copyOf('audit-1.log');
    const { file } = reader({ copies: [copy], live: false });
    file.adopt(copy, await openCopy('audit-1.log'));
    await readUntil(file, ['finished']);
    assert.equal(file.completed, false);
    file.ack(34);
    assert.equal(file.completed, false);
    file.ack(CONTENT.length);
    assert.equal(file.completed, true);
    await file.closeIfCompleted();
    assert.equal(file.openHandles, 0);
    assert.equal(file.holds(copy), false);
  });

  it('goes on from the last complete line in the .gz when its plain copy is dropped mid-way', async () => {
    writeFileSync(path.join(dir, 'audit-1.log'), CONTENT.slice(0, 25)); // one line and a half
    writeFileSync(path.join(dir, 'audit-1.log.gz'), gzipSync(CONTENT));
    const plain = copyOf('audit-1.log');
    const gz = copyOf('audit-1.log.gz', true);
    const view = { copies: [plain, gz], live: false };
    const { file } = reader(view);
    file.adopt(plain, await openCopy('audit-1.log'));
    const lines: Line[] = [];
    assert.equal(await file.read((line) => lines.push(line)), 'read');
    assert.equal(lines.length, 1);
    await file.drop(plain);
    view.copies = [gz];
    const rest = await readUntil(file, ['finished']);
    assert.deepEqual(
      rest.lines.map((line) => line.start),
      [17, 34],
      'no line skipped, none twice',
    );
  });

  it('does not read a .gz cut short again until its size changes, reports it, and sends no line twice', async () => {
    const whole = gzipSync(CONTENT);
    writeFileSync(path.join(dir, 'audit-1.log.gz'), whole.subarray(0, whole.length - 8)); // no trailer yet
    const gz = copyOf('audit-1.log.gz', true);
    const { file, named } = reader({ copies: [gz], live: false });
    const lines: Line[] = [];
    for (let attempt = 0; attempt < 10 && file.readable(); attempt += 1) await file.read((line) => lines.push(line));
    assert.equal(named('gzipIncomplete').length, 1);
    assert.equal(file.readable(), false, 'not retried at the same size');
    assert.equal(file.finished, false, 'a .gz without its trailer does not finish the file');
    writeFileSync(path.join(dir, 'audit-1.log.gz'), whole);
    gz.size = whole.length; // what the next scan sees
    assert.equal(file.readable(), true);
    const rest = await readUntil(file, ['finished']);
    assert.deepEqual(
      [...lines, ...rest.lines].map((line) => line.start),
      [0, 17, 34],
    );
  });

  it('counts a .gz it may not open as unreadable, reports it once, tries it again only once its backoff passed or its stat changed, and reads it whole once it can', async () => {
    chmodSync(dir, 0o755); // nobody may reach the file: its own mode is what denies it
    const gzPath = path.join(dir, 'audit-1.log.gz');
    writeFileSync(gzPath, gzipSync(CONTENT));
    const gz = copyOf('audit-1.log.gz', true);
    let now = 0;
    const { file, failures, named } = reader({ copies: [gz], live: false }, 0, CONTENT, () => now);
    chmodSync(gzPath, 0o000);
    await asNobody(async () => {
      assert.equal(await file.read(() => undefined), 'failed');
      now = 999;
      assert.equal(file.readable(), false, 'tried again before its first wait passed');
      now = 1_000;
      assert.equal(file.readable(), true, 'not tried again once its first wait passed');
      assert.equal(await file.read(() => undefined), 'failed');
      now = 2_999;
      assert.equal(file.readable(), false, 'the wait did not double');
    });
    assert.deepEqual(
      named('unreadable').map((event) => [event.path, event.code]),
      [[gzPath, 'EACCES']],
      'reported once',
    );
    assert.deepEqual(failures.list().map((unreadable) => [unreadable.path, unreadable.attempts]), [[gzPath, 2]]);
    await chmodSeen(gzPath, 0o644, gz.ctimeMs);
    gz.ctimeMs = statSync(gzPath).ctimeMs; // what the next scan sees
    assert.equal(file.readable(), true, 'a chmod is not tried at once');
    const { lines } = await readUntil(file, ['finished']);
    assert.deepEqual(lines.map((line) => line.start), [0, 17, 34], 'read whole once it can be');
    assert.deepEqual(named('readableAgain').map((event) => event.path), [gzPath]);
    assert.deepEqual(failures.list(), []);
  });

  it('counts a plain copy whose reads through its held handle fail, and reads on from the same line once a read works', async () => {
    writeFileSync(path.join(dir, 'audit-1.log'), CONTENT);
    const plain = copyOf('audit-1.log');
    let now = 0;
    const { file, failures, named } = reader({ copies: [plain], live: false }, 17, CONTENT, () => now);
    // A handle that cannot read (opened for appending only) stands for one whose reads fail.
    const unreadableHandle = await open(path.join(dir, 'audit-1.log'), 'a');
    handles.push(unreadableHandle);
    file.adopt(plain, unreadableHandle);
    assert.equal(await file.read(() => undefined), 'failed');
    assert.deepEqual(failures.list().map((unreadable) => unreadable.path), [path.join(dir, 'audit-1.log')]);
    assert.equal(named('unreadable').length, 1);
    file.adopt(plain, await openCopy('audit-1.log'));
    assert.equal(file.readable(), false, 'tried again before its backoff passed');
    now = 1_000;
    const { lines } = await readUntil(file, ['finished']);
    assert.deepEqual(lines.map((line) => line.start), [17, 34], 'every line after the start offset, once');
    assert.deepEqual(failures.list(), []);
  });

  it('discards a chunk of the live file once its first line changed (truncated and rewritten), asking for a rescan', async () => {
    writeFileSync(path.join(dir, 'audit.log'), CONTENT);
    const live = copyOf('audit.log');
    const { file } = reader({ copies: [live], live: true });
    file.adopt(live, await openCopy('audit.log'));
    writeFileSync(path.join(dir, 'audit.log'), '{"auditID":"other"}\n{"auditID":"b2"}\n{"auditID":"b3"}\n');
    const lines: Line[] = [];
    assert.equal(await file.read((line) => lines.push(line)), 'rescan');
    assert.deepEqual(lines, [], 'nothing of the new content passes for the old file');
    assert.equal(await file.stillStartsAsBefore(live), false);
  });
});
