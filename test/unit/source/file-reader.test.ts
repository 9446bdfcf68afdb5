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
    return { name, dev: info.dev, ino: info.ino, compressed, orderKey: name, size: info.size, mtimeMs: info.mtimeMs, onDisk: true };
  }

  async function openCopy(name: string): Promise<FileHandle> {
    const handle = await open(path.join(dir, name), 'r');
    handles.push(handle);
    return handle;
  }

  function reader(view: { copies: FileCopy[]; live: boolean }, startOffset = 0, content = CONTENT) {
    const recorder = recordingSourceEvents();
    const file = new FileReader({
      fingerprint: fingerprintOf(Buffer.from(content))!,
      startOffset,
      completed: false,
      copies: view as CopiesView,
      directory: dir,
      maxLineBytes: 1024,
      hardCapBytes: 4096,
      events: recorder.events,
    });
    return { file, ...recorder };
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

  it('reports a .gz it may not open once, not on every retry, and reads it whole once it can', async () => {
    const gzPath = path.join(dir, 'audit-1.log.gz');
    writeFileSync(gzPath, gzipSync(CONTENT));
    const gz = copyOf('audit-1.log.gz', true);
    const { file, named } = reader({ copies: [gz], live: false });
    chmodSync(gzPath, 0o000);
    // Root opens any file: the retries run as nobody then, as an agent without CAP_DAC_OVERRIDE.
    const asRoot = process.geteuid?.() === 0;
    if (asRoot) process.seteuid!(65534);
    try {
      for (let retry = 0; retry < 5; retry += 1) assert.equal(await file.read(() => undefined), 'failed');
    } finally {
      if (asRoot) process.seteuid!(0);
    }
    const reported = named('readFailed');
    assert.equal(reported.length, 1, 'the same failure reported on every retry');
    assert.match(String(reported[0]!.error), /EACCES/);
    chmodSync(gzPath, 0o644);
    const { lines } = await readUntil(file, ['finished']);
    assert.deepEqual(lines.map((line) => line.start), [0, 17, 34], 'read whole once it can be');
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
