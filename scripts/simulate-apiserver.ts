#!/usr/bin/env node
import { mkdirSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError } from '../src/config-error.js';
import { boolean, byteSize, integer, optionalString, requiredString } from '../src/config-values.js';
import type { ParsedArgs } from '../src/option-group.js';
import { AuditEventFactory, readRealAuditLines } from '../test/helpers/audit-event-factory.js';
import { LumberjackWriter } from '../test/helpers/lumberjack-writer.js';

/**
 * Plays kube-apiserver's audit log backend for demos (`make run`) and manual tests: writes seeded,
 * realistic audit events at a steady rate into a lumberjack-rotated (optionally gzipped, or
 * copytruncated) log until Ctrl-C, SIGTERM or --events, with a status line on stderr.
 */

interface SimulatorConfig {
  dir: string;
  fileName: string;
  rate: number;
  maxSizeBytes: number;
  maxBackups: number;
  maxAgeDays: number;
  compress: boolean;
  copyTruncate: boolean;
  seed: number;
  events: number;
  corpusDir: string | undefined;
  statusEverySeconds: number;
}

/** How often the pacing loop wakes up; each wake-up writes the events that became due. */
const TICK_MS = 10;

function readConfig(argv: ParsedArgs): SimulatorConfig {
  return {
    dir: requiredString(argv, 'dir'),
    fileName: requiredString(argv, 'file-name'),
    rate: integer(argv, 'rate', 1, 1_000_000),
    maxSizeBytes: byteSize(argv, 'max-size', 1024),
    maxBackups: integer(argv, 'max-backups', 0),
    maxAgeDays: integer(argv, 'max-age-days', 0),
    compress: boolean(argv, 'compress'),
    copyTruncate: boolean(argv, 'copytruncate'),
    seed: integer(argv, 'seed', 0, 0xffffffff),
    events: integer(argv, 'events', 0),
    corpusDir: optionalString(argv, 'corpus'),
    statusEverySeconds: integer(argv, 'status-every', 1, 3600),
  };
}

async function simulate(config: SimulatorConfig): Promise<void> {
  mkdirSync(config.dir, { recursive: true });
  const factory = new AuditEventFactory({ seed: config.seed, realLines: config.corpusDir ? readRealAuditLines(config.corpusDir) : undefined });
  const writer = new LumberjackWriter({
    dir: config.dir,
    fileName: config.fileName,
    maxSizeBytes: config.maxSizeBytes,
    maxBackups: config.maxBackups,
    maxAgeDays: config.maxAgeDays,
    compress: config.compress,
    copyTruncate: config.copyTruncate,
  });
  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const status = new StatusLine(config, writer);
  const limit = config.events > 0 ? config.events : Number.POSITIVE_INFINITY;
  const started = performance.now();
  let written = 0;
  let tooLarge = 0;
  while (!stopping && written + tooLarge < limit) {
    const due = Math.min(limit, Math.floor(((performance.now() - started) / 1000) * config.rate));
    // After a stall (a paused terminal, a slow disk) catch up by at most one second's worth, not in one burst.
    const batch = Math.min(due - written - tooLarge, config.rate);
    for (let i = 0; i < batch; i++) {
      try {
        writer.write(factory.nextLine());
        written++;
      } catch (error) {
        // kube-apiserver drops an event lumberjack refuses (longer than --audit-log-maxsize) and logs it.
        if (!(error as Error).message.startsWith('write length')) throw error;
        tooLarge++;
      }
    }
    status.maybePrint(written, tooLarge);
    await sleep(TICK_MS);
  }
  await writer.close();
  status.print(written, tooLarge, 'done');
}

class StatusLine {
  private readonly started = performance.now();
  private lastPrinted = this.started;

  constructor(
    private readonly config: SimulatorConfig,
    private readonly writer: LumberjackWriter,
  ) {}

  maybePrint(written: number, tooLarge: number): void {
    if (performance.now() - this.lastPrinted >= this.config.statusEverySeconds * 1000) this.print(written, tooLarge, 'writing');
  }

  print(written: number, tooLarge: number, state: string): void {
    this.lastPrinted = performance.now();
    const seconds = (this.lastPrinted - this.started) / 1000;
    const stem = this.config.fileName.replace(/\.[^.]*$/, '');
    const backups = readdirSync(this.config.dir).filter((name) => name.startsWith(`${stem}-`) || name.startsWith(`${this.config.fileName}-`));
    const gzipped = backups.filter((name) => name.endsWith('.gz')).length;
    const { rotations, bytesWritten } = this.writer.stats;
    const parts = [
      `simulate-apiserver: ${state}`,
      `${seconds.toFixed(1)}s`,
      `events=${written}`,
      `rate=${Math.round(written / Math.max(seconds, 0.001))}/s`,
      `MB=${(bytesWritten / 1e6).toFixed(1)}`,
      `${this.config.copyTruncate ? 'copytruncates' : 'rotations'}=${rotations}`,
      `backups=${backups.length} (gz ${gzipped})`,
    ];
    if (tooLarge > 0) parts.push(`dropped-too-large=${tooLarge}`);
    process.stderr.write(`${parts.join(' ')}\n`);
  }
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('simulate-apiserver')
    .usage('$0 --dir DIR [options]\n\nWrites a kube-apiserver-like audit log (lumberjack rotation, gzip mill, or copytruncate) at a steady rate.')
    .options({
      dir: { type: 'string', describe: 'directory of the audit log (created if missing)', demandOption: true },
      'file-name': { type: 'string', default: 'audit.log', describe: 'live file name' },
      rate: { type: 'string', default: '2000', describe: 'events per second' },
      'max-size': { type: 'string', default: '1MiB', describe: 'rotate when the next event would pass this size (--audit-log-maxsize)' },
      'max-backups': { type: 'string', default: '20', describe: 'backups kept, 0 = all (--audit-log-maxbackup)' },
      'max-age-days': { type: 'string', default: '0', describe: 'delete backups older than this, 0 = never (--audit-log-maxage)' },
      compress: { type: 'boolean', default: false, describe: 'gzip backups (--audit-log-compress)' },
      copytruncate: { type: 'boolean', default: false, describe: 'rotate like logrotate copytruncate: copy, then truncate in place' },
      seed: { type: 'string', default: '1', describe: 'seed of the event generator (same seed, same events)' },
      events: { type: 'string', default: '0', describe: 'stop after this many events, 0 = until Ctrl-C/SIGTERM' },
      corpus: { type: 'string', describe: 'directory of real audit events to mix in (e.g. test/fixtures/corpus/real)' },
      'status-every': { type: 'string', default: '2', describe: 'seconds between status lines on stderr' },
    })
    .strict()
    .help()
    .fail((message, error) => {
      throw error ?? new ConfigError(message);
    })
    .parseAsync();
  await simulate(readConfig(argv as ParsedArgs));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`simulate-apiserver: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`simulate-apiserver: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
