#!/usr/bin/env node
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { measureCatchUp, type CatchUpMeasurement } from './catch-up.js';
import { ensureCorpus } from './corpus.js';
import { fileTarget } from './sink-targets.js';

/**
 * The file-sink catch-up alone, with and without the default processors, repeated and
 * alternated so both variants see the same load: what a change to the per-event work costs,
 * in CPU seconds per 100k events (less sensitive to other work on the machine than events/s),
 * as the median of the runs. `make bench` runs everything else; this is for before/after
 * comparisons while working on the hot path.
 *
 *     node dist/bench/cpu-per-event.js --megabytes 200 --runs 3 [--profile] [--variants processors]
 */

const VARIANTS = {
  processors: [],
  'no-processors': ['--no-redaction', '--no-detections'],
} as const satisfies Record<string, readonly string[]>;
type Variant = keyof typeof VARIANTS;

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('cpu-per-event')
    .options({
      megabytes: { type: 'number', default: 200, describe: 'size of the catch-up corpus (decompressed)' },
      seed: { type: 'number', default: 1 },
      'rotate-megabytes': { type: 'number', default: 100 },
      runs: { type: 'number', default: 3, describe: 'runs of each variant; the median is reported' },
      variants: { type: 'array', string: true, choices: Object.keys(VARIANTS), default: Object.keys(VARIANTS) },
      profile: { type: 'boolean', default: false, describe: 'write a --cpu-prof profile of each run to <cache-dir>/profiles/cpu-per-event-<variant>' },
      'cache-dir': { type: 'string', default: '.cache/bench' },
    })
    .strict()
    .help()
    .parseAsync();

  const cacheDir = path.resolve(argv['cache-dir']);
  const log = (message: string): void => void process.stderr.write(`cpu-per-event: ${message}\n`);
  const corpus = await ensureCorpus({ seed: argv.seed, megabytes: argv.megabytes, rotateMegabytes: argv['rotate-megabytes'], cacheDir }, log);
  const variants = argv.variants as Variant[];
  const runs = new Map<Variant, CatchUpMeasurement[]>(variants.map((variant) => [variant, []]));
  const loads: number[] = [];
  for (let run = 0; run < argv.runs; run += 1) {
    for (const variant of variants) {
      loads.push(os.loadavg()[0]!);
      const output = path.join(cacheDir, 'run', 'cpu-per-event.jsonl');
      const target = fileTarget(output);
      const nodeFlags = argv.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(cacheDir, 'profiles', `cpu-per-event-${variant}`)}`] : [];
      try {
        const measured = await measureCatchUp({
          name: variant,
          corpus,
          workDir: path.join(cacheDir, 'run', 'agent'),
          sinkArgs: [...target.sinkArgs, ...VARIANTS[variant]],
          countDelivered: () => target.countDelivered(),
          nodeFlags,
        });
        if (measured.delivered !== corpus.events) throw new Error(`${variant}: ${measured.delivered} of ${corpus.events} events delivered`);
        runs.get(variant)!.push(measured);
        log(`${variant} run ${run + 1}: ${measured.cpuSecondsPer100kEvents.toFixed(2)} CPU-s per 100k, ${Math.round(measured.eventsPerSecond)} events/s`);
      } finally {
        await target.cleanUp();
      }
    }
  }
  const summary = {
    corpus: { events: corpus.events, megabytes: Math.round(corpus.bytes / 1e6) },
    loadAverage: { min: Math.min(...loads), max: Math.max(...loads) },
    variants: Object.fromEntries(
      [...runs].map(([variant, measured]) => [
        variant,
        {
          cpuSecondsPer100kEvents: measured.map((run) => round(run.cpuSecondsPer100kEvents)),
          medianCpuSecondsPer100kEvents: round(median(measured.map((run) => run.cpuSecondsPer100kEvents))),
          medianEventsPerSecond: Math.round(median(measured.map((run) => run.eventsPerSecond))),
          peakRssMegabytes: Math.round(Math.max(...measured.map((run) => run.peakRssBytes)) / 1e6),
        },
      ]),
    ),
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

main().catch((error: unknown) => {
  process.stderr.write(`cpu-per-event: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
