import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { loadCorpusManifest, type Corpus } from '../corpus.js';

const MANIFEST = 'corpus.json';

/**
 * The corpus with every gzipped backup decompressed beside the plain ones, under the same names
 * minus `.gz`: Fluent Bit's `tail` reads plain files only, so the side-by-side runs give both
 * shippers this copy (the agent meets the same bytes it would after its own gunzip). Kept next to
 * the corpus and made once; the manifest is written last, so a copy cut short is made again.
 */
export async function plainCorpusOf(corpus: Corpus): Promise<Corpus> {
  const root = `${corpus.root}-plain`;
  if (existsSync(path.join(root, MANIFEST))) return loadCorpusManifest(root);
  const partial = `${root}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const logDir = path.join(partial, 'log');
  mkdirSync(logDir, { recursive: true });
  const files = [];
  for (const file of corpus.files) {
    const name = file.compressed ? file.name.slice(0, -'.gz'.length) : file.name;
    const source = createReadStream(path.join(corpus.dir, file.name));
    const target = createWriteStream(path.join(logDir, name));
    await (file.compressed ? pipeline(source, createGunzip(), target) : pipeline(source, target));
    files.push({ name, sizeOnDisk: statSync(path.join(logDir, name)).size, compressed: false });
  }
  const { seed, events, bytes, lineBytes } = corpus;
  writeFileSync(path.join(partial, MANIFEST), `${JSON.stringify({ seed, events, bytes, files, lineBytes }, null, 2)}\n`);
  rmSync(root, { recursive: true, force: true });
  renameSync(partial, root);
  return loadCorpusManifest(root);
}
