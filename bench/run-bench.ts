#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { measureBaseline, measureCatchUp, type CatchUpMeasurement } from './catch-up.js';
import { ensureCorpus, type Corpus } from './corpus.js';
import { currentLoad, describeMachine } from './machine.js';
import { formatTable, type BenchResults } from './report.js';
import { AckOnlyForwardServer, BenchForwardServer, BenchKafka, fileTarget, type KafkaTarget, type SinkTarget } from './sink-targets.js';
import { plainCorpusOf } from './peers/plain-corpus.js';
import { compareWithFluentBit, fluentBitVersion, type SideBySideResults } from './peers/side-by-side.js';
import { measureSteadyState } from './steady-state.js';
import { freePort } from '../test/helpers/forward/server-scripts.js';

/**
 * `make bench`: the agent's catch-up speed into the file sink, a real Kafka broker (each codec)
 * and a real forward server, next to the floor a Node reader of the same files reaches, then a
 * steady-state run at a fixed write rate. Prints a table and writes the figures as JSON.
 */

const SINKS = ['file', 'kafka', 'forward'] as const;
const KAFKA_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const KAFKA_DELIVERIES = ['at-least-once', 'exactly-once'] as const;
type KafkaDelivery = (typeof KAFKA_DELIVERIES)[number];
/** The processors run by default; turned off, events pass through as the bytes that were read. */
const WITHOUT_PROCESSORS = ['--no-redaction', '--no-detections'];
/** Kafka messages with the log line as value only, as Fluent Bit's out_kafka sends them in the side-by-side run. */
const WITHOUT_KEY_AND_HEADERS = ['--kafka-key', 'none', '--kafka-headers', 'none'];

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('bench')
    .options({
      megabytes: { type: 'number', default: 500, describe: 'size of the catch-up corpus (decompressed)' },
      seed: { type: 'number', default: 1, describe: 'seed of the event generator' },
      'rotate-megabytes': { type: 'number', default: 100, describe: '--audit-log-maxsize of the simulated apiserver' },
      sinks: { type: 'array', string: true, choices: SINKS, default: [...SINKS], describe: 'catch-up runs to make' },
      'kafka-codecs': { type: 'array', string: true, choices: KAFKA_CODECS, default: [...KAFKA_CODECS] },
      'kafka-deliveries': {
        type: 'array',
        string: true,
        choices: KAFKA_DELIVERIES,
        default: [...KAFKA_DELIVERIES],
        describe: '--kafka-delivery modes of the Kafka catch-ups (exactly-once rows are named so)',
      },
      'kafka-version': { type: 'string', default: '4.4.0' },
      'kafka-port': { type: 'number', default: 27092, describe: 'PLAINTEXT port of the benchmark broker (it also takes port+1)' },
      'steady-seconds': { type: 'number', default: 60, describe: 'length of the steady-state run, 0 to skip it' },
      'steady-rate': { type: 'number', default: 10_000, describe: 'events per second written in the steady-state run' },
      'steady-rotate-megabytes': { type: 'number', default: 64, describe: 'rotation size in the steady-state run' },
      profile: { type: 'boolean', default: false, describe: 'write --cpu-prof profiles of the file-sink and Kafka catch-ups and of the steady-state run to <cache-dir>/profiles/<run>' },
      'cache-dir': { type: 'string', default: '.cache/bench', describe: 'generated corpora (kept between runs) and scratch space' },
      output: { type: 'string', default: 'bench/results/latest.json' },
      'fluent-bit': {
        type: 'string',
        default: process.env.FLUENT_BIT,
        describe: 'a fluent-bit binary (default: the FLUENT_BIT environment variable): its file, forward and Kafka catch-ups run beside the agent\'s',
      },
    })
    .strict()
    .help()
    .parseAsync();

  const cacheDir = path.resolve(argv['cache-dir']);
  const scratch = path.join(cacheDir, 'run');
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  const corpus = await ensureCorpus({ seed: argv.seed, megabytes: argv.megabytes, rotateMegabytes: argv['rotate-megabytes'], cacheDir }, log);
  const results: BenchResults = {
    startedAt,
    machine,
    corpus: {
      seed: corpus.seed,
      events: corpus.events,
      megabytes: Math.round(corpus.bytes / 1e6),
      files: corpus.files.length,
      gzippedFiles: corpus.files.filter((file) => file.compressed).length,
      lineBytes: { ...corpus.lineBytes },
    },
    baselines: [],
    catchUp: [],
  };

  // A first pass puts the corpus in the page cache, so every run below reads it from memory.
  await measureBaseline('warm-up', corpus, 'split');
  const readSplit = await measureBaseline('baseline: read+split', corpus, 'split');
  const readValidate = await measureBaseline('baseline: read+split+validate', corpus, 'validate');
  const readParse = await measureBaseline('baseline: read+split+JSON.parse', corpus, 'parse');
  results.baselines.push(readSplit, readValidate, readParse);
  log(`baselines: ${[readSplit, readValidate, readParse].map((run) => Math.round(run.eventsPerSecond)).join(', ')} events/s`);

  const record = (measurement: CatchUpMeasurement): void => {
    results.catchUp.push({
      ...measurement,
      ratioToReadSplit: measurement.eventsPerSecond / readSplit.eventsPerSecond,
      ratioToReadValidate: measurement.eventsPerSecond / readValidate.eventsPerSecond,
      ratioToReadParse: measurement.eventsPerSecond / readParse.eventsPerSecond,
    });
    log(`${measurement.name}: ${Math.round(measurement.eventsPerSecond)} events/s, ${measurement.delivered}/${measurement.events} delivered`);
  };
  const catchUp = async (name: string, target: SinkTarget, extraArgs: string[] = [], nodeFlags: string[] = []): Promise<void> => {
    try {
      record(
        await measureCatchUp({
          name,
          corpus,
          workDir: path.join(scratch, 'agent'),
          sinkArgs: [...target.sinkArgs, ...extraArgs],
          countDelivered: () => target.countDelivered(),
          nodeFlags,
        }),
      );
    } finally {
      await target.cleanUp();
    }
  };

  const profileFlags = (run: string): string[] =>
    argv.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(cacheDir, 'profiles', run)}`] : [];
  if (argv.sinks.includes('file')) {
    const output = path.join(scratch, 'file-sink.jsonl');
    await catchUp('file sink', fileTarget(output), [], profileFlags('processors'));
    await catchUp('file sink, no processors', fileTarget(output), WITHOUT_PROCESSORS, profileFlags('no-processors'));
    // Alerts must not slow shipping: the same run with every detection also queued for an
    // Alertmanager that refuses connections (retries, drops), to set beside 'file sink'.
    await catchUp('file sink, unreachable Alertmanager', fileTarget(output), ['--alertmanager-url', `http://127.0.0.1:${await freePort()}`]);
  }
  if (argv.sinks.includes('kafka')) {
    await runKafka(corpus, argv['kafka-version'], argv['kafka-port'], argv['kafka-codecs'], argv['kafka-deliveries'] as KafkaDelivery[], catchUp, profileFlags);
  }
  if (argv.sinks.includes('forward')) {
    const server = new BenchForwardServer(path.join(scratch, 'forward-server'));
    log('starting the forward server');
    await server.start();
    try {
      await catchUp('forward', server.target('none'));
      await catchUp('forward, no processors', server.target('none'), WITHOUT_PROCESSORS);
      await catchUp('forward, gzip', server.target('gzip'));
    } finally {
      await server.stop();
    }
    const ackOnly = new AckOnlyForwardServer();
    await catchUp('forward, ack-only server', await ackOnly.target('none'));
    await catchUp('forward, ack-only server, no processors', await ackOnly.target('none'), WITHOUT_PROCESSORS);
  }
  if (argv['fluent-bit']) {
    results.sideBySide = await runBesideFluentBit(argv['fluent-bit'], corpus, argv.sinks, scratch, { version: argv['kafka-version'], port: argv['kafka-port'] });
  }
  if (argv['steady-seconds'] > 0) {
    log(`steady state: ${argv['steady-rate']} events/s for ${argv['steady-seconds']} s`);
    results.steadyState = await measureSteadyState({
      workDir: path.join(scratch, 'steady'),
      seed: argv.seed + 1,
      rate: argv['steady-rate'],
      seconds: argv['steady-seconds'],
      warmUpSeconds: Math.min(5, argv['steady-seconds'] / 4),
      rotateBytes: argv['steady-rotate-megabytes'] * 1024 * 1024,
      nodeFlags: profileFlags('steady-state'),
      log,
    });
  }
  results.machine.loadAverage.end = currentLoad();

  const output = path.resolve(argv.output);
  mkdirSync(path.dirname(output), { recursive: true });
  writeFileSync(output, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${formatTable(results)}\n\nresults: ${path.relative(process.cwd(), output)}\n`);
}

/**
 * The file and forward catch-ups of Fluent Bit and of the agent (defaults, then processors off)
 * one after the other on the plain-files copy of the corpus, into the same receiver.
 */
async function runBesideFluentBit(
  binary: string,
  corpus: Corpus,
  sinks: string[],
  scratch: string,
  kafkaBroker: { version: string; port: number },
): Promise<SideBySideResults> {
  const results: SideBySideResults = { fluentBit: { binary, version: fluentBitVersion(binary) }, comparisons: [] };
  const plain = await plainCorpusOf(corpus);
  const workDir = path.join(scratch, 'beside-fluent-bit');
  const variants = [
    { suffix: '', args: [] },
    { suffix: ', no processors', args: WITHOUT_PROCESSORS },
  ];
  const runAgent = async (name: string, target: SinkTarget, extraArgs: string[]): Promise<CatchUpMeasurement> => {
    try {
      const measured = await measureCatchUp({
        name,
        corpus: plain,
        workDir: path.join(workDir, 'agent'),
        sinkArgs: [...target.sinkArgs, ...extraArgs],
        countDelivered: () => target.countDelivered(),
      });
      log(`${name}: ${Math.round(measured.eventsPerSecond)} events/s`);
      return measured;
    } finally {
      await target.cleanUp();
    }
  };
  const shared = { corpus: plain, binary, workDir, runAgent, variants };
  if (sinks.includes('file')) {
    const output = path.join(workDir, 'file-output.jsonl');
    log(`beside ${results.fluentBit.version}: file`);
    results.comparisons.push(
      await compareWithFluentBit({
        ...shared,
        output: 'file',
        target: async () => fileTarget(output),
        fluentBitOutput: () => ({ kind: 'file', path: output }),
      }),
    );
  }
  if (sinks.includes('kafka')) {
    // out_kafka with acks -1 and idempotence on (bench/peers/fluent-bit.ts), uncompressed like the agent's default.
    const kafka = new BenchKafka(kafkaBroker.version, kafkaBroker.port);
    log(`beside ${results.fluentBit.version}: kafka ${kafkaBroker.version}`);
    await kafka.start();
    let runs = 0;
    try {
      results.comparisons.push(
        await compareWithFluentBit({
          ...shared,
          output: 'kafka',
          target: async () => kafka.target(`bench-beside-fluent-bit-${(runs += 1)}-${Date.now()}`, 'none'),
          fluentBitOutput: (target) => ({ kind: 'kafka', brokers: kafka.bootstrap, topic: (target as KafkaTarget).topic }),
          // out_kafka as configured here sends neither key nor headers: one more row that leaves
          // them out too compares like with like (the defaults keep the auditID key and the headers).
          variants: [...variants, { suffix: ', no processors, no key or headers (as fluent-bit sends)', args: [...WITHOUT_PROCESSORS, ...WITHOUT_KEY_AND_HEADERS] }],
        }),
      );
    } finally {
      await kafka.stop();
    }
  }
  if (sinks.includes('forward')) {
    const server = new BenchForwardServer(path.join(workDir, 'forward-server'));
    log(`beside ${results.fluentBit.version}: forward`);
    await server.start();
    try {
      results.comparisons.push(
        await compareWithFluentBit({
          ...shared,
          output: 'forward',
          target: async () => server.target('none'),
          fluentBitOutput: () => ({ kind: 'forward', host: '127.0.0.1', port: server.port }),
        }),
      );
    } finally {
      await server.stop();
    }
  }
  return results;
}

async function runKafka(
  corpus: Corpus,
  version: string,
  port: number,
  codecs: string[],
  deliveries: KafkaDelivery[],
  catchUp: (name: string, target: SinkTarget, extraArgs?: string[], nodeFlags?: string[]) => Promise<void>,
  profileFlags: (run: string) => string[],
): Promise<void> {
  const kafka = new BenchKafka(version, port);
  log(`starting Kafka ${version}`);
  await kafka.start();
  try {
    for (const codec of codecs) {
      // Each exactly-once row right after its at-least-once twin, so the two meet the same load.
      for (const variant of [{ name: '', args: [], run: '' }, { name: ', no processors', args: WITHOUT_PROCESSORS, run: '-no-processors' }]) {
        for (const delivery of deliveries) {
          const suffix = delivery === 'exactly-once' ? ', exactly-once' : '';
          const topic = `bench-${codec}-${variant.args.length > 0 ? 'bare' : 'processors'}-${delivery}-${corpus.events}-${Date.now()}`;
          await catchUp(
            `kafka ${version}, ${codec}${variant.name}${suffix}`,
            await kafka.target(topic, codec, delivery),
            variant.args,
            profileFlags(`kafka-${codec}${variant.run}-${delivery}`),
          );
        }
      }
    }
  } finally {
    await kafka.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
