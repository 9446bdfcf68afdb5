import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../config-error.js';
import { boolean, byteSize, givenAs, integer, oneOf, optionalString, pemFile, requiredString, secret, stringList } from '../../config-values.js';
import type { OptionGroup, ParsedArgs } from '../../option-group.js';
import {
  ACKS_CHOICES,
  COMPRESSION_CHOICES,
  DELIVERY_CHOICES,
  HEADER_CHOICES,
  KAFKA_OVERSIZE_POLICIES,
  MESSAGE_KEY_CHOICES,
  SASL_MECHANISM_CHOICES,
  type HeaderChoice,
  type KafkaExactlyOnceConfig,
  type KafkaSaslConfig,
  type KafkaSinkConfig,
  type KafkaTlsConfig,
} from './kafka-sink-config.js';

/** librdkafka's default; the broker's own default (1048588) leaves room for request framing. */
const DEFAULT_MAX_MESSAGE_BYTES = 1_000_000;
const BROKER_ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/;

export const kafkaOptionGroup: OptionGroup<KafkaSinkConfig> = {
  title: 'Kafka sink (--sink kafka):',
  options: {
    'kafka-brokers': { kind: 'string', describe: 'Bootstrap brokers, comma-separated host:port (required)' },
    'kafka-topic': { kind: 'string', default: 'kube-audit', describe: 'Topic the events are written to' },
    'kafka-client-id': { kind: 'string', default: 'kube-audit-forwarder', describe: 'Client id the brokers see in their logs and quotas' },
    'kafka-acks': {
      kind: 'choice',
      choices: ACKS_CHOICES,
      default: 'all',
      describe: 'all: every in-sync replica has the batch before it counts as delivered; 1: the leader only',
    },
    'kafka-idempotent': {
      kind: 'boolean',
      default: true,
      describe: 'Idempotent producer: the broker drops its own retried duplicates (needs --kafka-acks all)',
    },
    'kafka-compression': {
      kind: 'choice',
      choices: COMPRESSION_CHOICES,
      default: 'none',
      describe: 'Codec librdkafka compresses record batches with',
    },
    'kafka-key': {
      kind: 'choice',
      choices: MESSAGE_KEY_CHOICES,
      default: 'auditID',
      describe: 'Message key: auditID keeps all stages of one request in one partition; none spreads evenly',
    },
    'kafka-headers': {
      kind: 'string',
      default: HEADER_CHOICES.join(','),
      describe: `Event fields copied into message headers, comma-separated from ${HEADER_CHOICES.join(', ')}; "none" for no headers`,
    },
    'kafka-request-timeout-ms': {
      kind: 'integer',
      default: 30000,
      describe: 'How long a produce request may wait for the broker acknowledgement',
    },
    'kafka-connection-timeout-ms': { kind: 'integer', default: 5000, describe: 'TCP (and TLS) connect timeout' },
    'kafka-max-message-bytes': {
      kind: 'size',
      default: DEFAULT_MAX_MESSAGE_BYTES,
      describe:
        "Largest record batch librdkafka builds (its message.max.bytes); keep it at or below the topic's max.message.bytes (a refused batch lowers it)",
    },
    'kafka-delivery': {
      kind: 'choice',
      choices: DELIVERY_CHOICES,
      default: 'at-least-once',
      describe:
        'exactly-once: transactions carry the events and the checkpoint they advance to (--kafka-checkpoint-topic), so a read_committed consumer sees each event once even across crashes',
    },
    'kafka-transactional-id': {
      kind: 'string',
      describe: 'transactional.id of --kafka-delivery exactly-once, unique per node and stable across restarts (default: kube-audit-forwarder-$NODE_NAME)',
    },
    'kafka-checkpoint-topic': {
      kind: 'string',
      default: 'kube-audit-checkpoints',
      describe: 'Compacted topic where --kafka-delivery exactly-once commits the checkpoint with the events (key: the transactional id)',
    },
    'kafka-transaction-max-events': {
      kind: 'integer',
      default: 20000,
      describe: 'With --kafka-delivery exactly-once, a transaction is committed once it holds this many events',
    },
    'kafka-transaction-interval-ms': {
      kind: 'integer',
      default: 500,
      describe: 'With --kafka-delivery exactly-once, a transaction is committed once its oldest batch waited this long',
    },
    'kafka-oversize-policy': {
      kind: 'choice',
      choices: KAFKA_OVERSIZE_POLICIES,
      default: 'truncate',
      describe:
        'An event larger than --kafka-max-message-bytes: truncate replaces requestObject/responseObject by a size marker and annotates the event; dead-letter writes it to --kafka-dead-letter-dir',
    },
    'kafka-dead-letter-dir': {
      kind: 'string',
      describe:
        'Directory for dead-letter.jsonl of events too large for Kafka, even once truncated (default: <dead-letter-dir>/kafka)',
    },
    'kafka-tls': { kind: 'boolean', default: false, describe: 'Connect with TLS (implied by any --kafka-tls-* file option)' },
    'kafka-tls-ca-file': { kind: 'string', describe: 'PEM CA bundle that signed the brokers\' certificates (default: the system CAs)' },
    'kafka-tls-cert-file': { kind: 'string', describe: 'PEM client certificate, for brokers that require client authentication' },
    'kafka-tls-key-file': { kind: 'string', describe: 'PEM private key of --kafka-tls-cert-file' },
    'kafka-tls-insecure-skip-verify': {
      kind: 'boolean',
      default: false,
      describe: 'Accept any broker certificate (testing only: anyone on the path can read the audit trail)',
    },
    'kafka-sasl-mechanism': {
      kind: 'choice',
      choices: SASL_MECHANISM_CHOICES,
      default: 'none',
      describe: 'SASL authentication (use TLS with plain: it sends the password as is)',
    },
    'kafka-sasl-username': { kind: 'string', describe: 'SASL user name' },
    'kafka-sasl-password': { kind: 'string', describe: 'SASL password (prefer --kafka-sasl-password-file or the environment)' },
    'kafka-sasl-password-file': { kind: 'string', describe: 'File holding the SASL password, e.g. a mounted Secret' },
    'kafka-sasl-oauthbearer-token-file': {
      kind: 'string',
      describe: 'File holding the OAUTHBEARER token (a JWT), re-read before it expires; something else keeps it fresh',
    },
    'kafka-option': {
      kind: 'string',
      describe: 'A librdkafka setting as key=value, applied over the sink\'s own (repeatable; see docs/sinks.md for the ones worth tuning)',
    },
  },
  read(argv) {
    const brokers = stringList(argv, 'kafka-brokers');
    if (brokers.length === 0) throw new ConfigError('--kafka-brokers is required with --sink kafka (or set KAF_KAFKA_BROKERS)');
    for (const broker of brokers) {
      const match = BROKER_ADDRESS.exec(broker);
      if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
        throw new ConfigError(`--kafka-brokers must be host:port entries, got "${broker}"`);
      }
    }
    const acks = oneOf(argv, 'kafka-acks', ACKS_CHOICES);
    const idempotent = boolean(argv, 'kafka-idempotent');
    if (idempotent && acks !== 'all') {
      throw new ConfigError('--kafka-idempotent needs --kafka-acks all (or turn it off with --no-kafka-idempotent)');
    }
    const exactlyOnce = readExactlyOnce(argv);
    if (exactlyOnce && (acks !== 'all' || !idempotent)) {
      throw new ConfigError(`${givenAs(argv, 'kafka-delivery')} exactly-once needs --kafka-acks all and the idempotent producer (no --no-kafka-idempotent)`);
    }
    const oversizePolicy = oneOf(argv, 'kafka-oversize-policy', KAFKA_OVERSIZE_POLICIES);
    // Always a place to put an event Kafka cannot take: dropping it is never an outcome.
    const deadLetterDir = path.resolve(optionalString(argv, 'kafka-dead-letter-dir') ?? path.join(coreDeadLetterDir(argv), 'kafka'));
    return {
      brokers,
      topic: requiredString(argv, 'kafka-topic'),
      // Declared with the detection options, which own it; only this sink acts on it.
      alertsTopic: optionalString(argv, 'alerts-kafka-topic'),
      clientId: requiredString(argv, 'kafka-client-id'),
      acks,
      idempotent,
      compression: oneOf(argv, 'kafka-compression', COMPRESSION_CHOICES),
      key: oneOf(argv, 'kafka-key', MESSAGE_KEY_CHOICES),
      headers: readHeaders(argv),
      requestTimeoutMs: integer(argv, 'kafka-request-timeout-ms', 100, 3_600_000),
      connectionTimeoutMs: integer(argv, 'kafka-connection-timeout-ms', 100, 600_000),
      maxMessageBytes: byteSize(argv, 'kafka-max-message-bytes', 4096, 1024 ** 3),
      librdkafkaOptions: readLibrdkafkaOptions(argv),
      tls: readTls(argv),
      sasl: readSasl(argv),
      oversizePolicy,
      ...(exactlyOnce ? { exactlyOnce } : {}),
      deadLetterDir,
    };
  },
};

/** A transactional id names one producer: librdkafka takes up to 32767 bytes; this keeps it printable. */
const TRANSACTIONAL_ID = /^[A-Za-z0-9._:-]{1,249}$/;

function readExactlyOnce(argv: ParsedArgs): KafkaExactlyOnceConfig | undefined {
  // Checked whatever the delivery, so a wrong value is an error before it is ever used.
  const exactlyOnce = oneOf(argv, 'kafka-delivery', DELIVERY_CHOICES) === 'exactly-once';
  const given = optionalString(argv, 'kafka-transactional-id');
  if (given !== undefined && !TRANSACTIONAL_ID.test(given)) {
    throw new ConfigError(`${givenAs(argv, 'kafka-transactional-id')} must be 1 to 249 of A-Z a-z 0-9 . _ : -, got "${given}"`);
  }
  const settings = {
    checkpointTopic: requiredString(argv, 'kafka-checkpoint-topic'),
    transactionMaxEvents: integer(argv, 'kafka-transaction-max-events', 1, 1_000_000),
    transactionIntervalMs: integer(argv, 'kafka-transaction-interval-ms', 1, 600_000),
  };
  if (!exactlyOnce) return undefined;
  const nodeName = process.env.NODE_NAME;
  const transactionalId = given ?? (nodeName ? `kube-audit-forwarder-${nodeName}` : undefined);
  if (transactionalId === undefined) {
    throw new ConfigError(
      `${givenAs(argv, 'kafka-delivery')} exactly-once needs --kafka-transactional-id (or KAF_KAFKA_TRANSACTIONAL_ID), or NODE_NAME to derive it from`,
    );
  }
  if (!TRANSACTIONAL_ID.test(transactionalId)) {
    throw new ConfigError(`NODE_NAME "${nodeName}" makes an unusable transactional id; set --kafka-transactional-id (or KAF_KAFKA_TRANSACTIONAL_ID)`);
  }
  return { transactionalId, ...settings };
}

function readHeaders(argv: ParsedArgs): HeaderChoice[] {
  const names = stringList(argv, 'kafka-headers');
  if (names.length === 1 && names[0] === 'none') return [];
  for (const name of names) {
    if (!(HEADER_CHOICES as readonly string[]).includes(name)) {
      throw new ConfigError(`--kafka-headers entries must be from ${HEADER_CHOICES.join(', ')} (or "none"), got "${name}"`);
    }
  }
  return [...new Set(names)] as HeaderChoice[];
}

function readTls(argv: ParsedArgs): KafkaTlsConfig | undefined {
  const ca = pemFile(argv, 'kafka-tls-ca-file');
  const cert = pemFile(argv, 'kafka-tls-cert-file');
  const key = pemFile(argv, 'kafka-tls-key-file');
  const insecureSkipVerify = boolean(argv, 'kafka-tls-insecure-skip-verify');
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError('--kafka-tls-cert-file and --kafka-tls-key-file must be given together');
  }
  const wanted = boolean(argv, 'kafka-tls') || ca !== undefined || cert !== undefined || insecureSkipVerify;
  return wanted ? { ca, cert, key, insecureSkipVerify } : undefined;
}

/** `--kafka-option key=value`, repeated; in KAF_KAFKA_OPTION one per line (values may hold commas). */
function readLibrdkafkaOptions(argv: ParsedArgs): Record<string, string> {
  const raw = argv['kafka-option'];
  const entries = (Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw]).flatMap((entry) =>
    String(entry).split('\n'),
  );
  const options: Record<string, string> = {};
  for (const entry of entries.map((text) => text.trim()).filter((text) => text.length > 0)) {
    const equals = entry.indexOf('=');
    if (equals <= 0) throw new ConfigError(`${givenAs(argv, 'kafka-option')}: "${entry}" is not key=value (e.g. linger.ms=20)`);
    options[entry.slice(0, equals).trim()] = entry.slice(equals + 1).trim();
  }
  return options;
}

function readSasl(argv: ParsedArgs): KafkaSaslConfig | undefined {
  const mechanism = oneOf(argv, 'kafka-sasl-mechanism', SASL_MECHANISM_CHOICES);
  const username = optionalString(argv, 'kafka-sasl-username');
  const password = secret(argv, 'kafka-sasl-password');
  const tokenFile = optionalString(argv, 'kafka-sasl-oauthbearer-token-file');
  if (mechanism === 'oauthbearer') {
    if (tokenFile === undefined) throw new ConfigError('--kafka-sasl-mechanism oauthbearer needs --kafka-sasl-oauthbearer-token-file');
    if (username !== undefined || password !== undefined) {
      throw new ConfigError('--kafka-sasl-mechanism oauthbearer takes no --kafka-sasl-username/--kafka-sasl-password (the token names the principal)');
    }
    try {
      readFileSync(tokenFile);
    } catch (error) {
      throw new ConfigError(`${givenAs(argv, 'kafka-sasl-oauthbearer-token-file')}: cannot read ${tokenFile}: ${(error as Error).message}`);
    }
    return { mechanism, tokenFile: path.resolve(tokenFile) };
  }
  if (tokenFile !== undefined) throw new ConfigError(`--kafka-sasl-oauthbearer-token-file needs --kafka-sasl-mechanism oauthbearer`);
  if (mechanism === 'none') {
    if (username !== undefined || password !== undefined) {
      throw new ConfigError('--kafka-sasl-username/--kafka-sasl-password are set but --kafka-sasl-mechanism is none');
    }
    return undefined;
  }
  if (username === undefined) throw new ConfigError(`--kafka-sasl-mechanism ${mechanism} needs --kafka-sasl-username`);
  if (password === undefined) {
    throw new ConfigError(`--kafka-sasl-mechanism ${mechanism} needs --kafka-sasl-password or --kafka-sasl-password-file`);
  }
  return { mechanism, username, password };
}

/** The core's dead-letter directory, as `--dead-letter-dir` or its default under the checkpoint dir. */
function coreDeadLetterDir(argv: ParsedArgs): string {
  return optionalString(argv, 'dead-letter-dir') ?? path.join(optionalString(argv, 'checkpoint-dir') ?? '.', 'dead-letter');
}
