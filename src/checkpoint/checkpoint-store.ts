import { createHash } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { checkpointDocument, parseCheckpoint, type CheckpointDocument, type CheckpointEntry } from './checkpoint-schema.js';
import { ensureUsableDirectory } from './usable-directory.js';

export type LoadOutcome =
  | { source: 'current' | 'previous'; data: CheckpointDocument; problems: string[]; upgradedFrom?: number }
  | { source: 'none'; problems: string[] };

const CURRENT = 'checkpoint.json';
const PREVIOUS = 'checkpoint.previous.json';
const TEMPORARY = 'checkpoint.json.tmp';

/**
 * The durable checkpoint: a JSON document with a checksum, replaced atomically (write a temporary
 * file, fsync it, keep the current generation as the previous one, rename, fsync the directory).
 * Fluentd's position file, written in place without fsync, can be torn by a crash; this cannot.
 */
export class CheckpointStore {
  constructor(readonly directory: string) {}

  /** Creates the directory if needed; throws UnusableDirectoryError when it cannot be used. */
  ensureDirectory(): void {
    ensureUsableDirectory(this.directory);
  }

  /** Writes a new generation: `files` as they stand, `progressAt` the time a position last changed. */
  async write(files: CheckpointEntry[], progressAt: Date = new Date()): Promise<void> {
    const body = JSON.stringify(checkpointDocument(files, progressAt));
    const document = `${JSON.stringify({ sha256: sha256(body), body })}\n`;
    const temporary = path.join(this.directory, TEMPORARY);
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(document);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // Keep the generation we are replacing: if the new one is ever found corrupt, it is the
    // fallback. rename() replaces atomically, so each name always holds a complete document.
    await rename(path.join(this.directory, CURRENT), path.join(this.directory, PREVIOUS)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await rename(temporary, path.join(this.directory, CURRENT));
    await this.syncDirectory();
  }

  /**
   * Reads the newest valid generation. A missing, torn or tampered current file falls back to the
   * previous generation, and every problem is returned so the caller can log it: falling back is
   * never silent.
   */
  async load(): Promise<LoadOutcome> {
    const problems: string[] = [];
    for (const [name, source] of [
      [CURRENT, 'current'],
      [PREVIOUS, 'previous'],
    ] as const) {
      const result = await this.readGeneration(name);
      if ('data' in result) {
        return { source, data: result.data, problems, ...(result.upgradedFrom ? { upgradedFrom: result.upgradedFrom } : {}) };
      }
      if (result.problem) problems.push(result.problem);
    }
    return { source: 'none', problems };
  }

  private async readGeneration(name: string): Promise<{ data: CheckpointDocument; upgradedFrom?: number } | { problem?: string }> {
    const file = path.join(this.directory, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? {} : { problem: `${file}: cannot be read: ${(error as Error).message}` };
    }
    try {
      const envelope = JSON.parse(text) as { sha256?: unknown; body?: unknown };
      if (typeof envelope.body !== 'string' || envelope.sha256 !== sha256(envelope.body)) {
        return { problem: `${file}: checksum mismatch (torn or edited)` };
      }
      const parsed = parseCheckpoint(JSON.parse(envelope.body));
      if ('problem' in parsed) return { problem: `${file}: ${parsed.problem}` };
      return { data: parsed.document, ...(parsed.upgradedFrom ? { upgradedFrom: parsed.upgradedFrom } : {}) };
    } catch (error) {
      return { problem: `${file}: not valid JSON: ${(error as Error).message}` };
    }
  }

  private async syncDirectory(): Promise<void> {
    const handle = await open(this.directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
