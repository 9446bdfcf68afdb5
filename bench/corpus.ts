import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AuditEventFactory, readRealAuditLines } from '../test/helpers/audit-event-factory.js';
import { CORPUS_DIR } from '../test/helpers/corpus.js';
import { LumberjackWriter } from '../test/helpers/lumberjack-writer.js';

/** What the benchmark reads: one audit log directory as kube-apiserver leaves it after an outage. */
export interface Corpus {
  /** The corpus directory: corpus.json and log/. */
  readonly root: string;
  /** The audit log directory. */
  readonly dir: string;
  readonly livePath: string;
  readonly seed: number;
  readonly events: number;
  /** Bytes of event lines (decompressed), newlines included. */
  readonly bytes: number;
  /** Files oldest first, as the agent reads them. */
  readonly files: readonly CorpusFile[];
  /** Line sizes, to show the mix is realistic. */
  readonly lineBytes: { readonly min: number; readonly p50: number; readonly p99: number; readonly max: number };
}

export interface CorpusFile {
  readonly name: string;
  readonly sizeOnDisk: number;
  readonly compressed: boolean;
}

export interface CorpusSpec {
  readonly seed: number;
  readonly megabytes: number;
  /** --audit-log-maxsize of the simulated apiserver. */
  readonly rotateMegabytes: number;
  /** Where generated corpora are kept between runs. */
  readonly cacheDir: string;
}

const MANIFEST = 'corpus.json';

/**
 * Returns the corpus for `spec`, generating it on first use. The result is kept under the cache
 * dir keyed by everything that shapes it, so a rerun of the benchmark starts at once. The manifest
 * is written last: a generation cut short is never taken for a complete corpus.
 *
 * The older half of the bytes is written with --audit-log-compress on (its backups are gzipped by
 * lumberjack's mill), the newer half with it off, so the agent meets both kinds of backup and the
 * live file, as on a cluster whose settings changed.
 */
export async function ensureCorpus(spec: CorpusSpec, log: (message: string) => void): Promise<Corpus> {
  const dir = path.join(spec.cacheDir, `corpus-seed${spec.seed}-${spec.megabytes}mb-rotate${spec.rotateMegabytes}mb`);
  if (existsSync(path.join(dir, MANIFEST))) return loadCorpusManifest(dir);
  return generate(spec, dir, log);
}

/** The manifest of a generated corpus (the directory `ensureCorpus` made). */
export function loadCorpusManifest(corpusDir: string): Corpus {
  const manifest = JSON.parse(readFileSync(path.join(corpusDir, MANIFEST), 'utf8')) as CorpusManifest;
  const dir = path.join(corpusDir, 'log');
  return { ...manifest, root: corpusDir, dir, livePath: path.join(dir, 'audit.log') };
}

/** What corpus.json holds: paths are found from where the corpus lies, so the cache can move. */
type CorpusManifest = Omit<Corpus, 'root' | 'dir' | 'livePath'>;

async function writeHalf(
  logDir: string,
  factory: AuditEventFactory,
  spec: CorpusSpec,
  targetBytes: number,
  compress: boolean,
  sizes: number[],
): Promise<void> {
  const writer = new LumberjackWriter({ dir: logDir, maxSizeBytes: spec.rotateMegabytes * 1024 * 1024, compress });
  let written = 0;
  while (written < targetBytes) {
    const line = Buffer.from(`${factory.nextLine()}\n`);
    // kube-apiserver drops an event larger than --audit-log-maxsize; so does the corpus.
    if (line.length > spec.rotateMegabytes * 1024 * 1024) continue;
    writer.write(line);
    sizes.push(line.length);
    written += line.length;
  }
  await writer.close();
}

async function generate(spec: CorpusSpec, dir: string, log: (message: string) => void): Promise<Corpus> {
  rmSync(dir, { recursive: true, force: true });
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const logDir = path.join(partial, 'log');
  mkdirSync(logDir, { recursive: true });
  log(`generating a ${spec.megabytes} MB corpus (seed ${spec.seed}) in ${dir}`);
  const started = performance.now();
  const factory = new AuditEventFactory({ seed: spec.seed, realLines: readRealAuditLines(CORPUS_DIR) });
  const sizes: number[] = [];
  const total = spec.megabytes * 1_000_000;
  await writeHalf(logDir, factory, spec, total / 2, true, sizes);
  await writeHalf(logDir, factory, spec, total / 2, false, sizes);
  const files = readdirSync(logDir)
    .filter((name) => name !== 'audit.log')
    .sort()
    .concat('audit.log')
    .map((name) => ({ name, sizeOnDisk: statSync(path.join(logDir, name)).size, compressed: name.endsWith('.gz') }));
  const sorted = [...sizes].sort((a, b) => a - b);
  const manifest: CorpusManifest = {
    seed: spec.seed,
    events: sizes.length,
    bytes: sizes.reduce((sum, size) => sum + size, 0),
    files,
    lineBytes: {
      min: sorted[0]!,
      p50: sorted[Math.floor(sorted.length * 0.5)]!,
      p99: sorted[Math.floor(sorted.length * 0.99)]!,
      max: sorted[sorted.length - 1]!,
    },
  };
  writeFileSync(path.join(partial, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(partial, dir);
  const corpus = loadCorpusManifest(dir);
  log(`corpus ready: ${corpus.events} events, ${(corpus.bytes / 1e6).toFixed(0)} MB in ${files.length} files, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return corpus;
}
