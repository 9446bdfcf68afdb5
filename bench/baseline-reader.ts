#!/usr/bin/env node
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { scanJsonObject } from '../src/pipeline/json-scanner.js';
import { loadCorpusManifest } from './corpus.js';

/**
 * The floor for the benchmark: the least a Node program must do to hand on every event of the
 * corpus. It reads each file in order (gunzipping the .gz backups), cuts lines on Buffers and,
 * with --validate, proves each line is a JSON object with the agent's byte scanner (the least a
 * shipper that never ships an invalid line as an event must do) or, with --parse, JSON.parses
 * each one; it checkpoints nothing and ships nothing. The agent's results are quoted as ratios.
 *
 *   node dist/bench/baseline-reader.js <corpus dir> [--validate | --parse]
 *
 * Prints {"lines": N, "bytes": N} on stdout, so the harness can check it saw the whole corpus.
 */

const CHUNK_BYTES = 256 * 1024;

export type BaselineMode = 'split' | 'validate' | 'parse';

class LineCounter {
  lines = 0;
  bytes = 0;
  private carried: Buffer | undefined;

  constructor(private readonly mode: BaselineMode) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let data = chunk;
    if (this.carried) {
      data = Buffer.concat([this.carried, chunk]);
      this.carried = undefined;
    }
    let start = 0;
    for (let newline = data.indexOf(0x0a, start); newline >= 0; newline = data.indexOf(0x0a, start)) {
      if (this.mode === 'parse') JSON.parse(data.toString('utf8', start, newline));
      else if (this.mode === 'validate' && scanJsonObject(data, start, newline) < 0) throw new Error(`invalid line at byte ${this.bytes}`);
      this.lines += 1;
      start = newline + 1;
    }
    if (start < data.length) this.carried = Buffer.from(data.subarray(start));
  }
}

async function readPlain(file: string, counter: LineCounter): Promise<void> {
  const handle = await open(file, 'r');
  try {
    for (;;) {
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) return;
      counter.push(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

async function readGzip(file: string, counter: LineCounter): Promise<void> {
  const stream = createReadStream(file, { highWaterMark: CHUNK_BYTES }).pipe(createGunzip({ chunkSize: CHUNK_BYTES }));
  for await (const chunk of stream) counter.push(chunk as Buffer);
}

async function main(): Promise<void> {
  const [corpusDir, flag] = process.argv.slice(2);
  if (!corpusDir) throw new Error('usage: baseline-reader <corpus dir> [--validate | --parse]');
  const corpus = loadCorpusManifest(corpusDir);
  const counter = new LineCounter(flag === '--parse' ? 'parse' : flag === '--validate' ? 'validate' : 'split');
  for (const file of corpus.files) {
    const full = path.join(corpus.dir, file.name);
    await (file.compressed ? readGzip(full, counter) : readPlain(full, counter));
  }
  process.stdout.write(`${JSON.stringify({ lines: counter.lines, bytes: counter.bytes })}\n`);
}

await main();
