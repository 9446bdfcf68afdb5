import { hostname } from 'node:os';
import { ConfigError } from '../../config-error.js';
import { boolean, byteSize, integer, oneOf, optionalString, pemFile, secret, stringList } from '../../config-values.js';
import type { OptionGroup, ParsedArgs } from '../../option-group.js';
import type { ForwardTlsSettings } from './forward-connection.js';
import { FORWARD_COMPRESSION_CHOICES, type ForwardSinkConfig } from './forward-sink-config.js';
import type { HandshakeCredentials } from './handshake.js';
import { parseServerAddress } from './server-address.js';

/**
 * A third of Fluent Bit's in_forward buffer_max_size (6,144,000 bytes), which drops larger
 * messages; one default 1 MiB batch fits in one message.
 */
const DEFAULT_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

export const forwardOptionGroup: OptionGroup<ForwardSinkConfig> = {
  title: 'Fluentd forward sink (--sink forward):',
  options: {
    'forward-servers': {
      kind: 'string',
      describe: 'Forward servers (Fluentd, Fluent Bit, OpenTelemetry Collector), comma-separated host:port; port defaults to 24224. Messages go round-robin over the servers that are up (required)',
    },
    'forward-tag': { kind: 'string', default: 'kube.audit', describe: 'Tag of every event' },
    'forward-compression': {
      kind: 'choice',
      choices: FORWARD_COMPRESSION_CHOICES,
      default: 'none',
      describe: 'gzip sends CompressedPackedForward messages (the server must support them: Fluentd >= 0.14.7, Fluent Bit, OTel)',
    },
    'forward-max-message-bytes': {
      kind: 'size',
      default: DEFAULT_MAX_MESSAGE_BYTES,
      describe: "Largest message (uncompressed); bigger batches are split. Keep it under the server's limit (Fluent Bit: 6,144,000)",
    },
    'forward-ack-timeout-ms': {
      kind: 'integer',
      default: 30000,
      describe: 'How long to wait for the ack of a message before the connection is dropped and the batch sent again',
    },
    'forward-connect-timeout-ms': { kind: 'integer', default: 5000, describe: 'TCP connect, TLS and HELO/PING/PONG handshake timeout' },
    'forward-health-check-interval-ms': {
      kind: 'integer',
      default: 5000,
      describe: 'How often a server marked down is probed so it takes messages again once it answers',
    },
    'forward-keepalive-idle-ms': {
      kind: 'integer',
      default: 60000,
      describe: 'An idle connection is kept this long for the next message, then closed',
    },
    'forward-shared-key': { kind: 'string', describe: 'Shared key of the HELO/PING/PONG handshake (prefer --forward-shared-key-file)' },
    'forward-shared-key-file': { kind: 'string', describe: 'File holding the shared key, e.g. a mounted Secret' },
    'forward-self-hostname': {
      kind: 'string',
      describe: 'Hostname sent in PING; must differ from the server\'s own (default: this host\'s name)',
    },
    'forward-username': { kind: 'string', describe: 'User name, for servers that also require user authentication' },
    'forward-password': { kind: 'string', describe: 'Password of --forward-username (prefer --forward-password-file)' },
    'forward-password-file': { kind: 'string', describe: 'File holding the password, e.g. a mounted Secret' },
    'forward-tls': { kind: 'boolean', default: false, describe: 'Connect with TLS (implied by any --forward-tls-* option)' },
    'forward-tls-ca-file': { kind: 'string', describe: "PEM CA bundle that signed the servers' certificates (default: the system CAs)" },
    'forward-tls-cert-file': { kind: 'string', describe: 'PEM client certificate, for servers that require one' },
    'forward-tls-key-file': { kind: 'string', describe: 'PEM private key of --forward-tls-cert-file' },
    'forward-tls-servername': { kind: 'string', describe: 'Name the server certificate must carry (default: the host dialled)' },
    'forward-tls-insecure-skip-verify': {
      kind: 'boolean',
      default: false,
      describe: 'Accept any server certificate (testing only: anyone on the path can read the audit trail)',
    },
  },
  read(argv) {
    const servers = stringList(argv, 'forward-servers').map((entry) => parseServerAddress(entry, 'forward-servers'));
    if (servers.length === 0) throw new ConfigError('--forward-servers is required with --sink forward (or set KAF_FORWARD_SERVERS)');
    const tag = optionalString(argv, 'forward-tag') ?? 'kube.audit';
    // Declared with the detection options (it belongs with them in --help); read here, where it is used.
    const alertsTag = optionalString(argv, 'alerts-forward-tag');
    return {
      servers,
      tag,
      alertsTag,
      compression: oneOf(argv, 'forward-compression', FORWARD_COMPRESSION_CHOICES),
      maxMessageBytes: byteSize(argv, 'forward-max-message-bytes', 4096 + Buffer.byteLength(tag), 64 * 1024 ** 2),
      ackTimeoutMs: integer(argv, 'forward-ack-timeout-ms', 100, 3_600_000),
      connectTimeoutMs: integer(argv, 'forward-connect-timeout-ms', 100, 600_000),
      healthCheckIntervalMs: integer(argv, 'forward-health-check-interval-ms', 100, 3_600_000),
      keepaliveIdleMs: integer(argv, 'forward-keepalive-idle-ms', 100, 3_600_000),
      tcpKeepAliveMs: 30_000,
      credentials: readCredentials(argv),
      tls: readTls(argv),
    };
  },
};

function readCredentials(argv: ParsedArgs): HandshakeCredentials | undefined {
  const sharedKey = secret(argv, 'forward-shared-key');
  const username = optionalString(argv, 'forward-username');
  const password = secret(argv, 'forward-password');
  if ((username === undefined) !== (password === undefined)) {
    throw new ConfigError('--forward-username and --forward-password (or --forward-password-file) must be given together');
  }
  if (sharedKey === undefined) {
    if (username !== undefined) {
      throw new ConfigError('--forward-username needs --forward-shared-key: user authentication is part of the shared-key handshake');
    }
    return undefined;
  }
  if (sharedKey.length === 0) throw new ConfigError('--forward-shared-key is empty');
  return { sharedKey, selfHostname: optionalString(argv, 'forward-self-hostname') ?? hostname(), username, password };
}

function readTls(argv: ParsedArgs): ForwardTlsSettings | undefined {
  const ca = pemFile(argv, 'forward-tls-ca-file');
  const cert = pemFile(argv, 'forward-tls-cert-file');
  const key = pemFile(argv, 'forward-tls-key-file');
  const servername = optionalString(argv, 'forward-tls-servername');
  const insecureSkipVerify = boolean(argv, 'forward-tls-insecure-skip-verify');
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError('--forward-tls-cert-file and --forward-tls-key-file must be given together');
  }
  const wanted =
    boolean(argv, 'forward-tls') || ca !== undefined || cert !== undefined || servername !== undefined || insecureSkipVerify;
  return wanted ? { ca, cert, key, servername, insecureSkipVerify } : undefined;
}
