import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The compiled CLI, as the DaemonSet runs it. */
export const CLI_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');

export interface AgentLaunchOptions {
  launcher?: string[];
  uid?: number;
  gid?: number;
}

export interface LogEntry {
  level: string;
  message: string;
  [field: string]: unknown;
}

/**
 * Runs the agent as a child process, the way production runs it, so tests exercise the real
 * CLI, signals and exit codes. Its JSON log lines (stderr) are parsed and kept for assertions.
 */
/** Agents still running: killed when the test process exits, so a failed test leaves none behind. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class AgentProcess {
  readonly logs: LogEntry[] = [];
  readonly stdoutChunks: Buffer[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly logWaiters: Array<{ predicate: (entry: LogEntry) => boolean; resolve: (entry: LogEntry) => void }> = [];
  private stderrRest = '';
  stderrText = '';

  /**
   * `launcher` is what runs the CLI; the deploy tests replace it with the container image's
   * command inside a mount namespace. `uid`/`gid` run it as another user (root only).
   */
  constructor(args: string[], env: Record<string, string> = {}, options: AgentLaunchOptions = {}) {
    const launcher = options.launcher ?? [process.execPath, CLI_PATH];
    this.child = spawn(launcher[0]!, [...launcher.slice(1), ...args], {
      // Tests run agents side by side: each serves its HTTP endpoints on a free port unless told.
      env: { ...process.env, KAF_HTTP_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
    });
    this.child.stdout!.on('data', (chunk: Buffer) => this.stdoutChunks.push(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => this.onStderr(chunk.toString('utf8')));
    running.add(this.child);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        running.delete(this.child);
        resolve({ code, signal });
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /**
   * SIGSTOP, resolved once the kernel has stopped the process (state T in /proc): from then on its
   * output and checkpoint are what a SIGKILL at this instant would leave. Returns that instant.
   */
  async freeze(): Promise<number> {
    this.child.kill('SIGSTOP');
    await waitUntil(() => processState(this.pid) === 'T', 30_000, 'the agent to stop on SIGSTOP', 5);
    return Date.now();
  }

  /** Resolves with the exit code (or signal) once the process ended, rejects after timeoutMs. */
  waitForExit(timeoutMs = 60_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return withTimeout(this.exited, timeoutMs, () => `agent did not exit within ${timeoutMs} ms; logs:\n${this.tail()}`);
  }

  /** Resolves with the first log entry (past or future) that matches. */
  waitForLog(predicate: (entry: LogEntry) => boolean, timeoutMs = 60_000): Promise<LogEntry> {
    const existing = this.logs.find(predicate);
    if (existing) return Promise.resolve(existing);
    const found = new Promise<LogEntry>((resolve) => this.logWaiters.push({ predicate, resolve }));
    return withTimeout(found, timeoutMs, () => `no matching log entry within ${timeoutMs} ms; logs:\n${this.tail()}`);
  }

  logsWith(message: string): LogEntry[] {
    return this.logs.filter((entry) => entry.message === message);
  }

  /** The last lines of stderr, for failure messages. */
  tail(lines = 30): string {
    return this.stderrText.split('\n').slice(-lines).join('\n');
  }

  private onStderr(text: string): void {
    this.stderrText += text;
    const lines = (this.stderrRest + text).split('\n');
    this.stderrRest = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      let entry: LogEntry;
      try {
        entry = JSON.parse(line) as LogEntry;
      } catch {
        continue;
      }
      this.logs.push(entry);
      for (const waiter of [...this.logWaiters]) {
        if (waiter.predicate(entry)) {
          this.logWaiters.splice(this.logWaiters.indexOf(waiter), 1);
          waiter.resolve(entry);
        }
      }
    }
  }
}

export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, describe: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(describe())), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `condition` until it returns true; for states only observable from outside (files, brokers). */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The state letter of /proc/<pid>/stat: R, S, D, T (stopped), Z... */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const afterName = stat.lastIndexOf(')') + 2;
  return stat.slice(afterName, afterName + 1);
}
