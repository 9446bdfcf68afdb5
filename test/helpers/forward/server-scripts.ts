import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The repository root (tests run from dist/test/…, the scripts live in the source tree). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** A port nobody listens on right now, for a server a test starts itself. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs scripts/<script> and returns the KEY=VALUE lines it printed. */
export async function runServerScript(script: string, args: string[], timeoutMs = 600_000): Promise<Record<string, string>> {
  const { stdout } = await execFileAsync(path.join(REPO_ROOT, 'scripts', script), args, { timeout: timeoutMs, cwd: REPO_ROOT });
  return Object.fromEntries(
    stdout
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** The OpenTelemetry Collector forward server of scripts/forward-server.sh, on a port of the test's choosing. */
export class OtelForwardServer {
  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly output?: string,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get outputPath(): string {
    return this.output ?? path.join(this.dir, 'received.otlp.jsonl');
  }

  private get options(): string[] {
    return ['--port', String(this.port), '--dir', this.dir, '--output', this.outputPath];
  }

  async start(): Promise<void> {
    await runServerScript('forward-server.sh', ['start', ...this.options]);
  }

  /** SIGTERM: the collector stops accepting, its exporter flushes what it acked. */
  async stop(): Promise<void> {
    await runServerScript('forward-server.sh', ['stop', ...this.options]);
  }
}
