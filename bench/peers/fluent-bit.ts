import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import path from 'node:path';
import { freePort } from '../../test/helpers/forward/server-scripts.js';
import type { CatchUpMeasurement } from '../catch-up.js';
import type { Corpus } from '../corpus.js';
import { sampleProcess, type ProcSample } from '../proc-sample.js';

/**
 * Fluent Bit as the peer of a catch-up run: the same corpus, read with `tail`, shipped through one
 * output, measured from outside like the agent (wall time until everything is delivered, CPU
 * seconds and peak RSS of the process), so the report can print the agent's ratio to it.
 *
 * The configuration is the fair one of the peers' notes: offsets in a `DB`, `Parser json`,
 * `Read_from_Head On`, `Retry_Limit no_limits`; forward with `Require_ack_response On` and
 * `Retain_Metadata_In_Forward_Mode Off` (plain `[EventTime, record]` entries); Kafka with
 * `acks=-1` and idempotence. Lines up to 16 MiB are read (the default buffer stops a file at the
 * first line over 32 KiB, and audit events of 77 KiB are normal).
 *
 * Fluent Bit does not exit when it has caught up, so "delivered" is polled: by default the output's
 * `proc_records` in the monitoring API (records the output finished: acknowledged by the forward
 * server, written to the file, handed to librdkafka), or the caller's own count at the far side
 * (a topic's offsets, a receiver's count). Its time and CPU are taken when the count reaches the
 * corpus's events; then it is stopped.
 */

export type FluentBitOutput =
  | { readonly kind: 'forward'; readonly host: string; readonly port: number }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'kafka'; readonly brokers: string; readonly topic: string };

export interface FluentBitCatchUpOptions {
  /** Row name in the report. */
  readonly name: string;
  /** The fluent-bit executable (the FLUENT_BIT environment variable of `make bench`). */
  readonly binary: string;
  /** A corpus of plain files only: `tail` does not read gzipped backups (see plainCorpusOf). */
  readonly corpus: Corpus;
  /** Scratch directory for the configuration, the offsets DB and the log; emptied first. */
  readonly workDir: string;
  readonly output: FluentBitOutput;
  /** Delivered events as counted at the far side; by default the output's own `proc_records`. */
  readonly countDelivered?: () => Promise<number>;
  /** Gives up (and fails the run) after this long; default 600 s. */
  readonly timeoutSeconds?: number;
  /** How often delivery is polled; default 50 ms, which bounds the error of the wall time. */
  readonly pollMs?: number;
}

/** The alias of the output in the configuration, which keys it in the monitoring API. */
const OUTPUT_ALIAS = 'bench_output';

export async function measureFluentBitCatchUp(options: FluentBitCatchUpOptions): Promise<CatchUpMeasurement> {
  const { corpus, workDir } = options;
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const httpPort = await freePort();
  const configPath = path.join(workDir, 'fluent-bit.conf');
  writeFileSync(path.join(workDir, 'parsers.conf'), PARSERS_CONF);
  writeFileSync(configPath, fluentBitConfig({ logDir: corpus.dir, workDir, httpPort, output: options.output }));

  const started = performance.now();
  const child = spawn(options.binary, ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-16 * 1024)));
  const exited = once(child, 'exit');
  const countDelivered = options.countDelivered ?? (() => outputRecords(httpPort));
  const deadline = started + (options.timeoutSeconds ?? 600) * 1000;
  let delivered = 0;
  let last: ProcSample | undefined;
  let wallSeconds = 0;
  try {
    while (delivered < corpus.events) {
      if (child.exitCode !== null) throw new Error(`fluent-bit exited ${child.exitCode} after ${delivered} events:\n${stderr}`);
      if (performance.now() > deadline) throw new Error(`fluent-bit delivered ${delivered} of ${corpus.events} events before the timeout:\n${stderr}`);
      await sleep(options.pollMs ?? 50);
      // Sampled before the count, so the CPU charged is not more than what delivering took.
      last = sampleProcess(child.pid!) ?? last;
      wallSeconds = (performance.now() - started) / 1000;
      delivered = await countDelivered().catch(() => delivered);
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  return {
    name: options.name,
    events: corpus.events,
    bytes: corpus.bytes,
    wallSeconds,
    cpuSeconds: last?.cpuSeconds ?? Number.NaN,
    peakRssBytes: last?.peakRssBytes ?? Number.NaN,
    eventsPerSecond: corpus.events / wallSeconds,
    megabytesPerSecond: corpus.bytes / 1e6 / wallSeconds,
    cpuSecondsPer100kEvents: ((last?.cpuSeconds ?? Number.NaN) / corpus.events) * 100_000,
    delivered,
  };
}

const PARSERS_CONF = `[PARSER]
    Name   json
    Format json
`;

export interface FluentBitConfigOptions {
  /** The audit log directory: every `audit*.log` in it is read from its start. */
  readonly logDir: string;
  readonly workDir: string;
  readonly httpPort: number;
  readonly output: FluentBitOutput;
}

/** The classic-format configuration of one catch-up: tail → one output, monitoring API on. */
export function fluentBitConfig({ logDir, workDir, httpPort, output }: FluentBitConfigOptions): string {
  return [
    section('SERVICE', {
      Flush: '0.2',
      Grace: '1',
      Log_Level: 'warn',
      Parsers_File: path.join(workDir, 'parsers.conf'),
      HTTP_Server: 'On',
      HTTP_Listen: '127.0.0.1',
      HTTP_Port: String(httpPort),
    }),
    section('INPUT', {
      Name: 'tail',
      Tag: 'audit',
      Path: path.join(logDir, 'audit*.log'),
      DB: path.join(workDir, 'offsets.db'),
      Parser: 'json',
      Read_from_Head: 'On',
      Buffer_Chunk_Size: '256KB',
      Buffer_Max_Size: '16MB',
      Refresh_Interval: '1',
    }),
    section('OUTPUT', { Match: 'audit', Alias: OUTPUT_ALIAS, Retry_Limit: 'no_limits', ...outputSettings(output) }),
  ].join('\n');
}

function outputSettings(output: FluentBitOutput): Record<string, string> {
  switch (output.kind) {
    case 'forward':
      return {
        Name: 'forward',
        Host: output.host,
        Port: String(output.port),
        Require_ack_response: 'On',
        // On by default since Fluent Bit 2: each entry then goes as [[EventTime, metadata], record],
        // Fluent Bit's own chunk layout, which the OpenTelemetry Collector's fluentforward receiver
        // rejects ("unknown type of value ... at Time") by closing the connection, unacked. Off, the
        // entries are the protocol's [EventTime, record], as the agent's forward sink sends them.
        Retain_Metadata_In_Forward_Mode: 'Off',
      };
    case 'file':
      return { Name: 'file', Path: path.dirname(output.path), File: path.basename(output.path), Format: 'plain' };
    case 'kafka':
      return {
        Name: 'kafka',
        Brokers: output.brokers,
        Topics: output.topic,
        Format: 'json',
        'rdkafka.request.required.acks': '-1',
        'rdkafka.enable.idempotence': 'true',
      };
  }
}

function section(name: string, settings: Record<string, string>): string {
  const width = Math.max(...Object.keys(settings).map((key) => key.length));
  return `[${name}]\n${Object.entries(settings)
    .map(([key, value]) => `    ${key.padEnd(width)} ${value}`)
    .join('\n')}\n`;
}

/** The output's finished records from `/api/v1/metrics`. */
async function outputRecords(httpPort: number): Promise<number> {
  const metrics = JSON.parse(await httpGet(`http://127.0.0.1:${httpPort}/api/v1/metrics`)) as {
    output?: Record<string, { proc_records?: number }>;
  };
  return metrics.output?.[OUTPUT_ALIAS]?.proc_records ?? 0;
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = get(url, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${response.statusCode}`))));
    });
    request.on('error', reject);
    request.setTimeout(2000, () => request.destroy(new Error(`${url}: no answer`)));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
