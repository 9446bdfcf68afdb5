import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The real audit events copied into the repository from public projects (see its SOURCES.md). Resolved from this module (dist/test/helpers/), not the working directory. */
export const CORPUS_DIR = path.resolve(process.env.AUDIT_CORPUS_DIR ?? fileURLToPath(new URL('../../../test/fixtures/corpus/real', import.meta.url)));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

/**
 * Corpus files that hold raw JSON lines (one event per line, as kube-apiserver writes them):
 * `.log`, `.jsonl` and the one-line Falco `.json` captures. Pretty-printed JSON documents and the
 * CSV are not log lines and are left out, which the first line tells.
 */
export function jsonLinesCorpusFiles(): string[] {
  return walk(CORPUS_DIR).filter((file) => {
    if (!/\.(log|jsonl|json)$/.test(file)) return false;
    const firstLine = readFileSync(file, 'utf8').split('\n')[0]!.replace(/^\uFEFF/, '');
    try {
      JSON.parse(firstLine);
      return true;
    } catch {
      return false;
    }
  });
}

/** The non-empty lines of a file as raw bytes, exactly as on disk (no trailing newline). */
export function rawLines(file: string): Buffer[] {
  const bytes = readFileSync(file);
  const lines: Buffer[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const line = bytes.subarray(start, end);
    if (line.length > 0) lines.push(line);
    start = end + 1;
  }
  return lines;
}
