import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LumberjackWriter } from '../helpers/lumberjack-writer.js';
import { rotateNumbered } from '../helpers/numbered-logrotate.js';
import { fingerprintOf } from '../../src/source/fingerprint.js';
import { keyOfLine } from '../helpers/sink-output.js';

/** How the log under test is rotated: the three ways a control-plane node rotates its audit log. */
export type RotationScheme = 'lumberjack' | 'copytruncate' | 'numbered';

export interface LogSchemeOptions {
  readonly scheme: RotationScheme;
  readonly maxSizeBytes: number;
  /** Backups kept (lumberjack's maxbackup, logrotate's `rotate N`); 0 keeps all (lumberjack only). */
  readonly maxBackups: number;
  readonly compress: boolean;
  /** Size of each piece of a .gz the mill writes, and the pause between pieces (half-written .gz stay visible). */
  readonly gzipChunkBytes: number;
  readonly gzipChunkDelayMs: number;
}

/** One audit event line as the model knows it: where its bytes are in which content. */
export interface ModelRecord {
  readonly key: string;
  readonly content: Content;
  readonly offset: number;
  readonly length: number;
  /** Position in write order over the whole sequence. */
  readonly index: number;
}

/**
 * A content is what the agent calls a file: the bytes of one live-file incarnation (a new inode
 * for lumberjack, a generation between truncations for copytruncate), under whatever names it
 * had — live, backup, `.gz` — until it was deleted or the sequence ended.
 */
export class Content {
  readonly records: ModelRecord[] = [];
  readonly names = new Set<string>();
  /** Set at the end: whether a complete copy of it is still in the directory. */
  onDisk = false;
  size = 0;
  /** The agent's identity of it (the hash of its first line), once that line is written whole. */
  fingerprint?: string;

  constructor(readonly id: number, liveName: string) {
    this.names.add(liveName);
  }

  /** Offsets a checkpoint may legitimately hold for this content: 0 and every record's end. */
  isBoundary(offset: number): boolean {
    return offset === 0 || this.records.some((record) => record.offset + record.length === offset);
  }
}

/**
 * Writes the real audit log under one rotation scheme and keeps the model of it: every record,
 * every content, every name each content had. Writes are synchronous, as the apiserver's are.
 */
export class ModelLog {
  readonly contents: Content[] = [];
  readonly records: ModelRecord[] = [];
  readonly byKey = new Map<string, ModelRecord>();
  readonly livePath: string;
  private readonly lumberjack?: LumberjackWriter;
  private live: Content;
  private pending?: { key: string; offset: number; bytes: Buffer; content: Content };
  /** numbered: which content each `audit.log.N` holds (index N). */
  private readonly numberedSlots: Array<Content | undefined> = [];

  constructor(readonly dir: string, readonly options: LogSchemeOptions) {
    this.livePath = path.join(dir, 'audit.log');
    if (options.scheme !== 'numbered') {
      this.lumberjack = new LumberjackWriter({
        dir,
        maxSizeBytes: options.maxSizeBytes,
        maxBackups: options.maxBackups,
        compress: options.compress,
        copyTruncate: options.scheme === 'copytruncate',
        gzipChunkBytes: options.gzipChunkBytes,
        gzipChunkDelayMs: options.gzipChunkDelayMs,
      });
    }
    this.live = this.newContent();
  }

  get liveSize(): number {
    return existsSync(this.livePath) ? statSync(this.livePath).size : 0;
  }

  /** Whether a line of this length fits in the live file without the writer rotating first. */
  fits(length: number): boolean {
    return this.liveSize + length <= this.options.maxSizeBytes;
  }

  /** Appends one whole event line in one write. */
  appendLine(key: string, bytes: Buffer): void {
    if (this.pending) throw new Error('a partial line is pending');
    this.write(bytes, key);
  }

  /** Writes the first `cut` bytes of a line; completeLine() writes the rest. Never split across files. */
  beginLine(key: string, bytes: Buffer, cut: number): Buffer {
    if (this.pending) throw new Error('a partial line is pending');
    if (!this.fits(bytes.length)) this.rotate();
    const offset = this.liveSize;
    this.rawWrite(bytes.subarray(0, cut));
    this.pending = { key, offset, bytes, content: this.live };
    return bytes.subarray(cut);
  }

  completeLine(rest: Buffer): void {
    const pending = this.pending;
    if (!pending) throw new Error('no partial line');
    this.rawWrite(rest);
    this.pending = undefined;
    this.addRecord(pending.key, pending.content, pending.offset, pending.bytes);
  }

  get hasPartialLine(): boolean {
    return this.pending !== undefined;
  }

  /** An explicit rotation: lumberjack's Rotate(), logrotate's copytruncate, or a numbered shift. */
  rotate(): void {
    if (this.pending) throw new Error('rotating with a partial line pending');
    if (this.lumberjack) {
      const rotated = this.live;
      this.withBackupNames(() => this.lumberjack!.rotate(), rotated);
      this.live = this.newContent();
      return;
    }
    // logrotate's missingok: no live file yet, nothing to rotate.
    if (!existsSync(this.livePath)) return;
    const keep = this.options.maxBackups;
    this.numberedSlots[keep] = undefined;
    for (let number = keep - 1; number >= 1; number -= 1) this.numberedSlots[number + 1] = this.numberedSlots[number];
    this.numberedSlots[1] = this.live;
    rotateNumbered(this.livePath, keep);
    for (let number = 1; number <= keep; number += 1) {
      this.numberedSlots[number]?.names.add(`audit.log.${number}`);
      this.numberedSlots[number]?.names.add(`audit.log.${number}.gz`);
    }
    this.live = this.newContent();
  }

  /** Whether some copy of the content is in the directory now (plain, or a .gz, maybe half-written). */
  isOnDiskNow(content: Content): boolean {
    if (content === this.live) return true;
    if (this.options.scheme === 'numbered') return this.numberedSlots.includes(content);
    for (const name of content.names) if (name !== 'audit.log' && existsSync(path.join(this.dir, name))) return true;
    return false;
  }

  /** Waits for the lumberjack mill (gzip, maxbackup deletion) to finish its queued runs. */
  async flushMill(): Promise<void> {
    await this.lumberjack?.flushMill();
  }

  async close(): Promise<void> {
    await this.lumberjack?.close();
  }

  /** Decides, from the files now in the directory, which contents survived: a complete copy of each is read back. */
  markSurvivors(): void {
    const firstKeys = new Map<string, Content>();
    for (const content of this.contents) {
      const first = content.records[0];
      if (first?.offset === 0) firstKeys.set(first.key, content);
      content.onDisk = false;
    }
    for (const name of readdirSync(this.dir)) {
      if (!name.startsWith('audit.log') && !/^audit-.*\.log(\.gz)?$/.test(name)) continue;
      let bytes = readFileSync(path.join(this.dir, name));
      if (name.endsWith('.gz')) bytes = gunzipSync(bytes);
      const newline = bytes.indexOf(0x0a);
      const key = keyOfLine(bytes.subarray(0, newline < 0 ? bytes.length : newline));
      const content = key === undefined ? undefined : firstKeys.get(key);
      if (content && bytes.length >= content.size) content.onDisk = true;
    }
  }

  private write(bytes: Buffer, key: string): void {
    if (!this.fits(bytes.length) && this.options.scheme === 'numbered') this.rotate();
    if (this.lumberjack) {
      // The writer rotates by itself when the line does not fit: the file it renames is the live content.
      const rotations = this.lumberjack.stats.rotations;
      const before = this.live;
      this.withBackupNames(() => this.lumberjack!.writeRaw(bytes), before);
      if (this.lumberjack.stats.rotations !== rotations) this.live = this.newContent();
      const line = this.lumberjack.lines[this.lumberjack.lines.length - 1]!;
      this.addRecord(key, this.live, line.offset, bytes);
      return;
    }
    const offset = this.liveSize;
    this.rawWrite(bytes);
    this.addRecord(key, this.live, offset, bytes);
  }

  private rawWrite(bytes: Buffer): void {
    if (this.lumberjack) {
      const rotations = this.lumberjack.stats.rotations;
      this.lumberjack.writeRaw(bytes);
      if (this.lumberjack.stats.rotations !== rotations) throw new Error('a partial line was split across files');
    } else {
      appendFileSync(this.livePath, bytes);
    }
  }

  /** Runs a synchronous writer step and gives the backup names it created to the content rotated away. */
  private withBackupNames(step: () => void, rotated: Content): void {
    const before = new Set(readdirSync(this.dir));
    step();
    for (const name of readdirSync(this.dir)) {
      if (before.has(name) || name === 'audit.log') continue;
      rotated.names.add(name);
      rotated.names.add(`${name}.gz`);
    }
  }

  private newContent(): Content {
    const content = new Content(this.contents.length, 'audit.log');
    this.contents.push(content);
    return content;
  }

  private addRecord(key: string, content: Content, offset: number, bytes: Buffer): void {
    const record: ModelRecord = { key, content, offset, length: bytes.length, index: this.records.length };
    if (offset === 0) content.fingerprint = fingerprintOf(bytes)?.hash;
    content.records.push(record);
    content.size = Math.max(content.size, offset + record.length);
    this.records.push(record);
    this.byKey.set(key, record);
  }
}
