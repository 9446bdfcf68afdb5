import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** dist/test/integration/kafka → repository root. */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const KAFKA_SH = path.join(REPO_ROOT, 'scripts/kafka.sh');

export interface BrokerSpec {
  /** As scripts/kafka.sh takes it: 3.9.2, 4.4.0. */
  version: string;
  name: string;
  /** PLAINTEXT port; SASL_PLAINTEXT is port+2, SSL port+3. */
  port: number;
  sasl?: boolean;
  ssl?: boolean;
  sslClientAuth?: 'none' | 'required';
  messageMaxBytes?: number;
}

/** Where scripts/kafka.sh says the broker listens (its broker.env lines). */
export interface BrokerAddresses {
  bootstrap: string;
  saslBootstrap?: string;
  sslBootstrap?: string;
  tlsCaFile?: string;
  tlsClientCertFile?: string;
  tlsClientKeyFile?: string;
  logFile: string;
}

/** The user scripts/kafka.sh creates for SCRAM-SHA-256/512 and PLAIN unless told otherwise. */
export const SASL_USER = { username: 'kafka-test', password: 'kafka-test-secret' };

/** A real single-node KRaft broker run by scripts/kafka.sh, as `make test` and a developer run it. */
export class KafkaBroker {
  addresses?: BrokerAddresses;

  constructor(readonly spec: BrokerSpec) {}

  private flags(): string[] {
    const { spec } = this;
    return [
      '--version', spec.version,
      '--name', spec.name,
      '--port', String(spec.port),
      ...(spec.sasl ? ['--sasl'] : []),
      ...(spec.ssl ? ['--ssl', '--ssl-client-auth', spec.sslClientAuth ?? 'none'] : []),
      ...(spec.messageMaxBytes === undefined ? [] : ['--message-max-bytes', String(spec.messageMaxBytes)]),
    ];
  }

  /** Starts the broker and resolves once it answers metadata requests; `fresh` wipes its data first. */
  async start(options: { fresh: boolean } = { fresh: false }): Promise<BrokerAddresses> {
    const args = ['start', ...this.flags(), ...(options.fresh ? ['--fresh'] : [])];
    const { stdout } = await run(KAFKA_SH, args, { timeout: 300_000 });
    const env = Object.fromEntries(
      stdout
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    this.addresses = {
      bootstrap: env.KAFKA_BOOTSTRAP!,
      saslBootstrap: env.KAFKA_SASL_BOOTSTRAP,
      sslBootstrap: env.KAFKA_SSL_BOOTSTRAP,
      tlsCaFile: env.KAFKA_TLS_CA_FILE,
      tlsClientCertFile: env.KAFKA_TLS_CLIENT_CERT_FILE,
      tlsClientKeyFile: env.KAFKA_TLS_CLIENT_KEY_FILE,
      logFile: env.KAFKA_LOG_FILE!,
    };
    return this.addresses;
  }

  /** Stops the broker (SIGTERM, waits for the process to end); its data stays for a restart. */
  async stop(): Promise<void> {
    await run(KAFKA_SH, ['stop', '--version', this.spec.version, '--name', this.spec.name], { timeout: 120_000 });
  }

  /** The broker's JVM process id, for tests that freeze it (SIGSTOP) to mimic a hanging broker. */
  async pid(): Promise<number> {
    const { stdout } = await run(KAFKA_SH, ['status', '--version', this.spec.version, '--name', this.spec.name]);
    const match = /^KAFKA_PID=(\d+)$/m.exec(stdout);
    if (!match) throw new Error(`broker ${this.spec.name} is not running`);
    return Number(match[1]);
  }

  get bootstrap(): string {
    if (!this.addresses) throw new Error(`broker ${this.spec.name} not started`);
    return this.addresses.bootstrap;
  }
}
