import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CheckpointEntry } from '../../../src/checkpoint/checkpoint-schema.js';
import { fingerprintOf } from '../../../src/source/fingerprint.js';
import { AuditLogSource } from '../../../src/source/audit-log-source.js';
import type { SourceFile } from '../../../src/source/file-reader.js';
import { waitUntil } from '../../helpers/agent-process.js';
import { recordingSourceEvents } from '../../helpers/recording-source-events.js';

describe('AuditLogSource', function () {
  this.timeout(20_000);
  let dir: string;
  let source: AuditLogSource | undefined;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kaf-source-'));
  });
  afterEach(async () => {
    await source?.stop();
    source = undefined;
  });

  /** A pipeline that has no room until `release()`. */
  function closedGate() {
    let open = false;
    let release!: () => void;
    const opened = new Promise<void>((resolve) => (release = resolve));
    return { has: () => open, wait: () => opened, release: () => ((open = true), release()) };
  }

  function start(options: { capacity?: { has(): boolean; wait(): Promise<void> }; checkpoint?: CheckpointEntry[] } = {}) {
    const recorder = recordingSourceEvents();
    const lines: Array<{ file: SourceFile; text: string; end: number }> = [];
    source = new AuditLogSource({
      livePath: path.join(dir, 'audit.log'),
      maxLineBytes: 1024,
      hardCapBytes: 4096,
      pollIntervalMs: 20,
      checkpoint: options.checkpoint ?? [],
      start: { startAt: 'beginning', replay: false, checkpointUnusable: false },
      events: recorder.events,
      onLine: (file, line) => lines.push({ file, text: line.bytes.toString(), end: line.end }),
      hasCapacity: options.capacity?.has ?? (() => true),
      waitForCapacity: options.capacity?.wait ?? (() => Promise.resolve()),
      watch: false,
    });
    void source.start();
    return { lines, ...recorder };
  }

  it('hands on the lines of a rotated file to its end before those of the live file, each with file and end offset', async () => {
    writeFileSync(path.join(dir, 'audit.log'), '{"n":1}\n{"n":2}\n');
    const { lines } = start();
    await waitUntil(() => lines.length === 2, 5_000, 'the first lines');
    appendFileSync(path.join(dir, 'audit.log'), '{"n":3}\n');
    renameSync(path.join(dir, 'audit.log'), path.join(dir, 'audit-2026-12-01T10-00-00.000.log'));
    writeFileSync(path.join(dir, 'audit.log'), '{"n":4}\n');
    source!.filesChanged();
    await waitUntil(() => lines.length === 4, 5_000, 'every line');
    assert.deepEqual(
      lines.map((line) => [line.text, line.end]),
      [
        ['{"n":1}', 8],
        ['{"n":2}', 16],
        ['{"n":3}', 24],
        ['{"n":4}', 8],
      ],
    );
    assert.notEqual(lines[2]!.file.key, lines[3]!.file.key);
    assert.equal(lines[2]!.file.path, path.join(dir, 'audit-2026-12-01T10-00-00.000.log'));
  });

  it('checkpoint entries move only with ack(file, offset), and say when a rotated file is completed', async () => {
    writeFileSync(path.join(dir, 'audit.log'), '{"n":1}\n{"n":2}\n');
    const { lines } = start();
    await waitUntil(() => lines.length === 2 && source!.caughtUp, 5_000, 'read');
    assert.equal(source!.checkpointEntries()[0]!.offset, 0, 'read is not acknowledged');
    source!.ack(lines[0]!.file, 8);
    assert.equal(source!.checkpointEntries()[0]!.offset, 8);
    renameSync(path.join(dir, 'audit.log'), path.join(dir, 'audit-2026-12-01T10-00-00.000.log'));
    source!.filesChanged();
    source!.ack(lines[1]!.file, 16);
    await waitUntil(() => source!.checkpointEntries()[0]!.completed, 5_000, 'completed once rotated, read and acknowledged');
  });

  it('checkpoint entries with positions not yet acknowledged show them (and completion) without moving the acknowledged ones', async () => {
    writeFileSync(path.join(dir, 'audit.log'), '{"n":1}\n{"n":2}\n');
    const { lines } = start();
    await waitUntil(() => lines.length === 2 && source!.caughtUp, 5_000, 'read');
    renameSync(path.join(dir, 'audit.log'), path.join(dir, 'audit-2026-12-01T10-00-00.000.log'));
    source!.filesChanged();
    const file = lines[1]!.file;
    await waitUntil(() => source!.checkpointEntries(new Map([[file, 16]]))[0]!.completed, 5_000, 'the rotated file read to its end');
    const after = source!.checkpointEntries(new Map([[file, 16]]))[0]!;
    assert.deepEqual([after.offset, after.size, after.completed], [16, 16, true]);
    assert.deepEqual([source!.checkpointEntries()[0]!.offset, source!.checkpointEntries()[0]!.completed], [0, false], 'the look-ahead moved the acknowledged position');
    assert.equal(source!.checkpointEntries(new Map([[file, 8]]))[0]!.completed, false, 'completed with a line still ahead');
  });

  it('is caught up only once a checkpointed file that vanished unread is reported lost, though an empty backup is being written', async () => {
    const gone = '{"n":1}\n{"n":2}\n';
    writeFileSync(path.join(dir, 'audit.log'), '{"n":3}\n');
    writeFileSync(path.join(dir, 'audit-2026-12-01T11-00-00.000.log'), '');
    const entry: CheckpointEntry = {
      fingerprint: fingerprintOf(Buffer.from(gone))!,
      offset: 8,
      size: gone.length,
      completed: false,
      path: path.join(dir, 'audit-2026-12-01T10-00-00.000.log'),
      dev: 0,
      ino: 0,
    };
    const { lines, named } = start({ checkpoint: [entry] });
    await waitUntil(() => source!.caughtUp, 10_000, 'caught up');
    assert.equal(lines.length, 1);
    assert.deepEqual(
      named('lost').map((event) => [event.fromByte, event.toByte]),
      [[8, gone.length]],
    );
  });

  it('reads nothing while the pipeline has no capacity, and goes on once it has', async () => {
    writeFileSync(path.join(dir, 'audit.log'), '{"n":1}\n');
    const gate = closedGate();
    const { lines } = start({ capacity: gate });
    await waitUntil(() => source!.files().length === 1, 5_000, 'the file found');
    assert.equal(lines.length, 0);
    gate.release();
    await waitUntil(() => lines.length === 1, 5_000, 'read once there is room');
  });

  it('goes on scanning while the pipeline has no room: a file rotated and deleted meanwhile is found, held open and read once there is room', async () => {
    writeFileSync(path.join(dir, 'audit.log'), '{"n":1}\n');
    const gate = closedGate();
    const { lines } = start({ capacity: gate });
    await waitUntil(() => source!.files().length === 1, 5_000, 'the first file found');
    const backup = path.join(dir, 'audit-2026-12-01T10-00-00.000.log');
    renameSync(path.join(dir, 'audit.log'), backup);
    writeFileSync(path.join(dir, 'audit.log'), '{"n":2}\n{"n":3}\n');
    await waitUntil(() => source!.files().length === 2, 5_000, 'the new live file found while the pipeline is full');
    renameSync(path.join(dir, 'audit.log'), path.join(dir, 'audit-2026-12-01T10-05-00.000.log'));
    writeFileSync(path.join(dir, 'audit.log'), '{"n":4}\n');
    await waitUntil(() => source!.files().length === 3, 5_000, 'the second rotation followed too');
    unlinkSync(path.join(dir, 'audit-2026-12-01T10-05-00.000.log'));
    assert.equal(lines.length, 0);
    gate.release();
    await waitUntil(() => lines.length === 4, 5_000, 'every line, the deleted backup\'s among them');
    assert.deepEqual(
      lines.map((line) => line.text),
      ['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}'],
    );
  });
});
