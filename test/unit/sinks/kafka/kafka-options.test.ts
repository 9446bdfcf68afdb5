import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../../src/config-error.js';
import type { ParsedArgs } from '../../../../src/option-group.js';
import { kafkaOptionGroup } from '../../../../src/sinks/kafka/kafka-options.js';
import { parseOptions } from '../../../../src/yargs-options.js';

/** Parses like the CLI does: the group's flags, defaults applied, KAF_* environment variables read. */
function parse(args: string[], env: Record<string, string> = {}): ParsedArgs {
  return parseOptions(kafkaOptionGroup.options, args, env);
}

function read(args: string[], env: Record<string, string> = {}) {
  return kafkaOptionGroup.read(parse(args, env));
}

function assertConfigError(args: string[], pattern: RegExp): void {
  assert.throws(() => read(args), (error: unknown) => error instanceof ConfigError && pattern.test(error.message));
}

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('Kafka sink options', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'kafka-options-'));

  it('defaults to acks=all, idempotent, no compression, auditID keys, all five headers, 1 MB requests', () => {
    const config = read(['--kafka-brokers', 'b1:9092,b2:9092']);
    assert.deepEqual(config.brokers, ['b1:9092', 'b2:9092']);
    assert.equal(config.topic, 'kube-audit');
    assert.equal(config.acks, 'all');
    assert.equal(config.idempotent, true);
    assert.equal(config.compression, 'none');
    assert.equal(config.key, 'auditID');
    assert.deepEqual(config.headers, ['stage', 'verb', 'resource', 'namespace', 'level']);
    assert.equal(config.maxMessageBytes, 1_000_000);
    assert.equal(config.oversizePolicy, 'truncate');
    assert.equal(config.tls, undefined);
    assert.equal(config.sasl, undefined);
  });

  it('reads every setting from KAF_KAFKA_* environment variables', () => {
    const config = read([], {
      KAF_KAFKA_BROKERS: '10.0.0.1:9093',
      KAF_KAFKA_TOPIC: 'audit',
      KAF_KAFKA_KEY: 'namespace',
      KAF_KAFKA_HEADERS: 'verb,stage',
      KAF_KAFKA_COMPRESSION: 'zstd',
      KAF_KAFKA_MAX_MESSAGE_BYTES: '512KiB',
      KAF_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAF_KAFKA_SASL_USERNAME: 'forwarder',
      KAF_KAFKA_SASL_PASSWORD: 's3cret',
    });
    assert.deepEqual(config.brokers, ['10.0.0.1:9093']);
    assert.equal(config.topic, 'audit');
    assert.equal(config.key, 'namespace');
    assert.deepEqual(config.headers, ['verb', 'stage']);
    assert.equal(config.compression, 'zstd');
    assert.equal(config.maxMessageBytes, 512 * 1024);
    assert.deepEqual(config.sasl, { mechanism: 'scram-sha-512', username: 'forwarder', password: 's3cret' });
  });

  it('requires brokers as host:port', () => {
    assertConfigError([], /--kafka-brokers is required/);
    assertConfigError(['--kafka-brokers', 'broker-without-port'], /host:port/);
    assertConfigError(['--kafka-brokers', 'b:99999'], /host:port/);
    assert.deepEqual(read(['--kafka-brokers', '[::1]:9092']).brokers, ['[::1]:9092']);
  });

  it('refuses an idempotent producer without acks=all', () => {
    assertConfigError(['--kafka-brokers', 'b:9092', '--kafka-acks', '1'], /--kafka-idempotent needs --kafka-acks all/);
    assert.equal(read(['--kafka-brokers', 'b:9092', '--kafka-acks', '1', '--no-kafka-idempotent']).acks, '1');
  });

  it('takes "none" for no headers and rejects unknown header names', () => {
    assert.deepEqual(read(['--kafka-brokers', 'b:9092', '--kafka-headers', 'none']).headers, []);
    assertConfigError(['--kafka-brokers', 'b:9092', '--kafka-headers', 'verb,user'], /--kafka-headers .*"user"/);
  });

  it('reads the SASL password from a file, without its trailing newline, and needs user and password', () => {
    const passwordFile = path.join(directory, 'password');
    writeFileSync(passwordFile, 'from-secret\n');
    const config = read([
      '--kafka-brokers', 'b:9092', '--kafka-sasl-mechanism', 'scram-sha-256',
      '--kafka-sasl-username', 'u', '--kafka-sasl-password-file', passwordFile,
    ]);
    assert.equal(config.sasl?.mechanism === 'scram-sha-256' && config.sasl.password, 'from-secret');
    assertConfigError(['--kafka-brokers', 'b:9092', '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-password', 'p'], /needs --kafka-sasl-username/);
    assertConfigError(['--kafka-brokers', 'b:9092', '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'u'], /needs --kafka-sasl-password/);
    assertConfigError(['--kafka-brokers', 'b:9092', '--kafka-sasl-username', 'u'], /--kafka-sasl-mechanism is none/);
  });

  it('takes OAUTHBEARER with a readable token file and nothing else', () => {
    const tokenFile = path.join(directory, 'token.jwt');
    writeFileSync(tokenFile, 'e30.e30.\n');
    assert.deepEqual(read(['--kafka-brokers', 'b:9092', '--kafka-sasl-mechanism', 'oauthbearer', '--kafka-sasl-oauthbearer-token-file', tokenFile]).sasl, {
      mechanism: 'oauthbearer',
      tokenFile,
    });
    assertConfigError(['--kafka-brokers', 'b:9092', '--kafka-sasl-mechanism', 'oauthbearer'], /needs --kafka-sasl-oauthbearer-token-file/);
    assertConfigError(['--kafka-brokers', 'b:9092', '--kafka-sasl-mechanism', 'oauthbearer', '--kafka-sasl-oauthbearer-token-file', path.join(directory, 'none.jwt')], /--kafka-sasl-oauthbearer-token-file: cannot read/);
    assertConfigError(['--kafka-brokers', 'b:9092', '--kafka-sasl-oauthbearer-token-file', tokenFile], /needs --kafka-sasl-mechanism oauthbearer/);
  });

  it('takes repeated --kafka-option key=value (commas kept in a value), one per line from KAF_KAFKA_OPTION', () => {
    const config = read(['--kafka-brokers', 'b:9092', '--kafka-option', 'linger.ms=20', '--kafka-option', 'ssl.cipher.suites=A,B']);
    assert.deepEqual(config.librdkafkaOptions, { 'linger.ms': '20', 'ssl.cipher.suites': 'A,B' });
    assert.deepEqual(read(['--kafka-brokers', 'b:9092'], { KAF_KAFKA_OPTION: 'linger.ms=5\nbatch.size=65536' }).librdkafkaOptions, {
      'linger.ms': '5',
      'batch.size': '65536',
    });
    assertConfigError(['--kafka-brokers', 'b:9092', '--kafka-option', 'linger.ms'], /--kafka-option: "linger.ms" is not key=value/);
  });

  it('turns TLS on when a CA file is given and checks the PEM files at start-up', () => {
    const ca = path.join(directory, 'ca.pem');
    writeFileSync(ca, PEM);
    const config = read(['--kafka-brokers', 'b:9093', '--kafka-tls-ca-file', ca]);
    assert.deepEqual(config.tls, { ca: PEM, cert: undefined, key: undefined, insecureSkipVerify: false });
    assert.deepEqual(read(['--kafka-brokers', 'b:9093', '--kafka-tls']).tls?.insecureSkipVerify, false);
    assertConfigError(['--kafka-brokers', 'b:9093', '--kafka-tls-ca-file', path.join(directory, 'missing.pem')], /--kafka-tls-ca-file: cannot read/);
    const notPem = path.join(directory, 'not.pem');
    writeFileSync(notPem, 'hello');
    assertConfigError(['--kafka-brokers', 'b:9093', '--kafka-tls-ca-file', notPem], /not a PEM file/);
    assertConfigError(['--kafka-brokers', 'b:9093', '--kafka-tls-cert-file', ca], /must be given together/);
  });

  it('always has a dead-letter dir: by default beside the core\'s dead letters, or the one given', () => {
    // The core's options sit beside the sink's in the parsed arguments of `run`.
    const withCore = (args: string[]) => kafkaOptionGroup.read({ ...parse(['--kafka-brokers', 'b:9092']), ...Object.fromEntries([args]) });
    assert.equal(withCore(['checkpoint-dir', '/var/lib/kaf']).deadLetterDir, '/var/lib/kaf/dead-letter/kafka');
    assert.equal(withCore(['dead-letter-dir', '/dl']).deadLetterDir, '/dl/kafka');
    const config = read(['--kafka-brokers', 'b:9092', '--kafka-oversize-policy', 'dead-letter', '--kafka-dead-letter-dir', directory]);
    assert.equal(config.deadLetterDir, directory);
  });

  it('takes the alerts topic from --alerts-kafka-topic, the detection option that names this sink', () => {
    const argv = { ...parse(['--kafka-brokers', 'b:9092']), 'alerts-kafka-topic': 'audit-alerts' };
    assert.equal(kafkaOptionGroup.read(argv as ParsedArgs).alertsTopic, 'audit-alerts');
    assert.equal(read(['--kafka-brokers', 'b:9092']).alertsTopic, undefined);
  });

  it('rejects a max message size too small to hold a batch header and an event', () => {
    assertConfigError(['--kafka-brokers', 'b:9092', '--kafka-max-message-bytes', '100'], /--kafka-max-message-bytes: 100 bytes is not between/);
  });

  it('exactly-once: a transactional id from --kafka-transactional-id, else from NODE_NAME, with the checkpoint topic and transaction limits', () => {
    assert.equal(read(['--kafka-brokers', 'b:9092']).exactlyOnce, undefined);
    const config = read(['--kafka-brokers', 'b:9092', '--kafka-delivery', 'exactly-once', '--kafka-transactional-id', 'kaf-a']);
    assert.deepEqual(config.exactlyOnce, { transactionalId: 'kaf-a', checkpointTopic: 'kube-audit-checkpoints', transactionMaxEvents: 20000, transactionIntervalMs: 500 });
    const previous = process.env.NODE_NAME;
    process.env.NODE_NAME = 'node-7.example';
    try {
      const fromEnv = read([], {
        KAF_KAFKA_BROKERS: 'b:9092',
        KAF_KAFKA_DELIVERY: 'exactly-once',
        KAF_KAFKA_CHECKPOINT_TOPIC: 'cp',
        KAF_KAFKA_TRANSACTION_MAX_EVENTS: '5000',
        KAF_KAFKA_TRANSACTION_INTERVAL_MS: '100',
      });
      assert.deepEqual(fromEnv.exactlyOnce, { transactionalId: 'kube-audit-forwarder-node-7.example', checkpointTopic: 'cp', transactionMaxEvents: 5000, transactionIntervalMs: 100 });
    } finally {
      if (previous === undefined) delete process.env.NODE_NAME;
      else process.env.NODE_NAME = previous;
    }
  });

  it('exactly-once: refuses a missing or unusable transactional id, and acks 1 or no idempotence', () => {
    const previous = process.env.NODE_NAME;
    delete process.env.NODE_NAME;
    try {
      assertConfigError(['--kafka-brokers', 'b:9092', '--kafka-delivery', 'exactly-once'], /--kafka-delivery exactly-once needs --kafka-transactional-id .*or NODE_NAME/);
    } finally {
      if (previous !== undefined) process.env.NODE_NAME = previous;
    }
    const eos = ['--kafka-brokers', 'b:9092', '--kafka-delivery', 'exactly-once', '--kafka-transactional-id'];
    assertConfigError([...eos, 'has space'], /--kafka-transactional-id must be 1 to 249 of/);
    assertConfigError([...eos, 'a', '--kafka-acks', '1', '--no-kafka-idempotent'], /exactly-once needs --kafka-acks all and the idempotent producer/);
    assertConfigError([...eos, 'a', '--no-kafka-idempotent'], /exactly-once needs --kafka-acks all/);
    assertConfigError([...eos, 'a', '--kafka-transaction-max-events', '0'], /--kafka-transaction-max-events/);
  });
});
