import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
  /**
   * PLAINTEXT port; SASL_PLAINTEXT is port+2, SSL port+3, SASL_SSL port+4. Below 32768, where Linux's
   * ephemeral ports begin: an outgoing connection that took one of them would stop the broker binding it.
   */
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
  /** With both sasl and ssl: SASL over TLS. */
  saslSslBootstrap?: string;
  tlsCaFile?: string;
  tlsClientCertFile?: string;
  tlsClientKeyFile?: string;
  logFile: string;
}

/** One record as `kafka.sh read-topic` printed it. */
export interface JavaReadRecord {
  partition: number;
  offset: number;
  key: string | null;
  headers: Record<string, string>;
  value: Buffer;
}

/** The Java consumer's isolation.level. */
export type IsolationLevel = 'read_uncommitted' | 'read_committed';

/** Runs `kafka.sh read-topic` with `flags` (the broker, topic, isolation) and parses what it printed. */
export async function readTopicWithJava(flags: string[]): Promise<JavaReadRecord[]> {
  const { stdout } = await run(KAFKA_SH, ['read-topic', ...flags], { timeout: 180_000, maxBuffer: 1024 ** 3 });
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [partition, offset, key, headers, value] = line.split(' ');
      return {
        partition: Number(partition),
        offset: Number(offset),
        key: key === '-' ? null : Buffer.from(key!, 'base64').toString('utf8'),
        headers: headers === '-' ? {} : Object.fromEntries(headers!.split(',').map((entry) => {
          const [name, encoded] = entry.split('=');
          return [name!, Buffer.from(encoded!, 'base64').toString('utf8')];
        })),
        value: Buffer.from(value!, 'base64'),
      };
    });
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
      saslSslBootstrap: env.KAFKA_SASL_SSL_BOOTSTRAP,
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

  /**
   * Every record of a topic as the Java client of the broker's own version reads it
   * (`kafka.sh read-topic`): a reader that shares no code with librdkafka, and decodes every codec.
   * read_committed leaves out what aborted (or still open) transactions wrote.
   */
  async readTopic(topic: string, isolation: IsolationLevel = 'read_uncommitted'): Promise<JavaReadRecord[]> {
    return readTopicWithJava([...this.flags(), '--topic', topic, '--isolation', isolation]);
  }

  /** The codec (attributes & 7) of every record batch the broker stored for the topic, read from its log segments. */
  storedCodecs(topic: string): Set<number> {
    const codecs = new Set<number>();
    this.forEachStoredBatch(topic, (bytes, at) => codecs.add(bytes.readInt16BE(at + 21) & 7));
    return codecs;
  }

  /**
   * Records the broker stored for the topic outside control batches (the commit and abort
   * markers of transactions, which take offsets too), read from its log segments.
   */
  storedDataRecords(topic: string): number {
    let records = 0;
    this.forEachStoredBatch(topic, (bytes, at) => {
      // Attributes bit 5 marks a control batch; the record count is the int32 at byte 57.
      if ((bytes.readInt16BE(at + 21) & 0x20) === 0) records += bytes.readInt32BE(at + 57);
    });
    return records;
  }

  /**
   * Calls `visit` with each v2 record batch of the topic's log segments: baseOffset int64,
   * batchLength int32 (bytes after it), leader epoch int32, magic int8, crc int32, attributes
   * int16 (codec in the low three bits), ..., record count int32 at byte 57.
   */
  private forEachStoredBatch(topic: string, visit: (bytes: Buffer, at: number) => void): void {
    const dataDir = path.join(process.env.KAFKA_CACHE_DIR ?? path.join(REPO_ROOT, '.cache/kafka'), 'brokers', this.spec.name, 'data');
    // A partition's directory is <topic>-<partition>; another topic may start with the same name.
    const partitionDirectory = (entry: string): boolean => entry.startsWith(`${topic}-`) && /^\d+$/.test(entry.slice(topic.length + 1));
    for (const directory of readdirSync(dataDir).filter(partitionDirectory)) {
      for (const segment of readdirSync(path.join(dataDir, directory)).filter((entry) => entry.endsWith('.log'))) {
        const bytes = readFileSync(path.join(dataDir, directory, segment));
        for (let at = 0; at + 61 <= bytes.length; at += 12 + bytes.readInt32BE(at + 8)) visit(bytes, at);
      }
    }
  }

  get bootstrap(): string {
    if (!this.addresses) throw new Error(`broker ${this.spec.name} not started`);
    return this.addresses.bootstrap;
  }
}
