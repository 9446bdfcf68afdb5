import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleProcess, type ProcSample } from './proc-sample.js';
import type { ReportedUsage } from './report-usage.js';

const REPORT_USAGE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'report-usage.js');
const STDERR_KEPT_BYTES = 64 * 1024;

export interface MeasuredRun {
  exitCode: number | null;
  wallSeconds: number;
  /** User + system CPU seconds of the whole process, as it reported them at exit. */
  cpuSeconds: number;
  peakRssBytes: number;
  stdout: string;
  /** The last part of stderr, for error messages. */
  stderrTail: string;
}

export interface MeasuredProcessOptions {
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  env?: Record<string, string>;
  /** Called with a /proc sample every `sampleEveryMs` while the process runs. */
  onSample?: (sample: ProcSample, elapsedSeconds: number) => void;
  sampleEveryMs?: number;
}

/** A node program run as a child process, with its CPU time and peak memory measured. */
export class MeasuredProcess {
  readonly finished: Promise<MeasuredRun>;
  readonly pid: number;
  private readonly child;

  constructor(script: string, args: string[], options: MeasuredProcessOptions = {}) {
    const usageDir = mkdtempSync(path.join(tmpdir(), 'kaf-bench-usage-'));
    const usageFile = path.join(usageDir, 'usage.json');
    const started = performance.now();
    this.child = spawn(process.execPath, [...(options.nodeFlags ?? []), '--import', REPORT_USAGE, script, ...args], {
      env: { ...process.env, ...options.env, BENCH_USAGE_FILE: usageFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid!;
    let stdout = '';
    let stderr = '';
    this.child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    this.child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT_BYTES);
    });
    const sampler = options.onSample
      ? setInterval(() => {
          const sample = sampleProcess(this.pid);
          if (sample) options.onSample!(sample, (performance.now() - started) / 1000);
        }, options.sampleEveryMs ?? 200)
      : undefined;
    this.finished = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (exitCode) => {
        const wallSeconds = (performance.now() - started) / 1000;
        clearInterval(sampler);
        const usage = existsSync(usageFile) ? (JSON.parse(readFileSync(usageFile, 'utf8')) as ReportedUsage) : undefined;
        rmSync(usageDir, { recursive: true, force: true });
        resolve({
          exitCode,
          wallSeconds,
          cpuSeconds: usage ? usage.userCpuSeconds + usage.systemCpuSeconds : Number.NaN,
          peakRssBytes: usage?.maxRssBytes ?? Number.NaN,
          stdout,
          stderrTail: stderr,
        });
      });
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

/** Runs to the end; throws with the stderr tail when the program fails. */
export async function runMeasured(script: string, args: string[], options: MeasuredProcessOptions = {}): Promise<MeasuredRun> {
  const run = await new MeasuredProcess(script, args, options).finished;
  if (run.exitCode !== 0) throw new Error(`${path.basename(script)} ${args.join(' ')} exited ${run.exitCode}:\n${run.stderrTail}`);
  return run;
}
