import type { ForwardTlsSettings } from './forward-connection.js';
import type { HandshakeCredentials } from './handshake.js';
import type { ForwardCompression } from './packed-forward-encoder.js';
import type { ServerAddress } from './server-address.js';

export const FORWARD_COMPRESSION_CHOICES: readonly ForwardCompression[] = ['none', 'gzip'];

export interface ForwardSinkConfig {
  servers: ServerAddress[];
  tag: string;
  /** Events that matched a detection rule are also sent with this tag (--alerts-forward-tag). */
  alertsTag?: string;
  compression: ForwardCompression;
  /** No message is larger than this (uncompressed) unless a single event is. */
  maxMessageBytes: number;
  ackTimeoutMs: number;
  connectTimeoutMs: number;
  healthCheckIntervalMs: number;
  keepaliveIdleMs: number;
  tcpKeepAliveMs: number;
  credentials?: HandshakeCredentials;
  tls?: ForwardTlsSettings;
}
