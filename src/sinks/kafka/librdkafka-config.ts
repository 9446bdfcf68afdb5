import type { KafkaSinkConfig } from './kafka-sink-config.js';

/** A librdkafka configuration as the Producer constructor takes it: settings, and callbacks such as oauthbearer_token_refresh_cb. */
export type LibrdkafkaConfig = Record<string, string | number | boolean | (() => Promise<unknown>)>;

/** How long librdkafka waits to fill a partition's batch (see below). */
const LINGER_MS = 50;

/**
 * The librdkafka producer settings for the sink's configuration, then the expert's
 * `--kafka-option` entries over them.
 * - partitioner murmur2_random: the Java client's placement of keyed messages (murmur2 of the
 *   key), random for messages without key, so a key lands where a Java producer puts it.
 * - No message.timeout.ms of our own: librdkafka retries a message until its default (300 s)
 *   ends; a broker away longer fails the batch's send, and the agent retries it.
 * - The security protocol follows from TLS and SASL being set, as with the Java client.
 * - linger.ms 50 instead of librdkafka's 5: the agent hands over whole batches, and on a catch-up
 *   5 ms filled a partition batch with a few dozen messages only, so the broker thread spent its
 *   time waking up and sending small acks=all requests. The agent's own --batch-linger-ms (200)
 *   already sets the latency a quiet stream sees; 50 ms more keeps it the same order.
 */
export function librdkafkaConfig(config: KafkaSinkConfig, maxMessageBytes: number): LibrdkafkaConfig {
  const settings: LibrdkafkaConfig = {
    ...connectionSettings(config),
    acks: config.acks === 'all' ? -1 : 1,
    'enable.idempotence': config.idempotent,
    'compression.codec': config.compression,
    partitioner: 'murmur2_random',
    'linger.ms': LINGER_MS,
    'message.max.bytes': maxMessageBytes,
    // librdkafka's range: request.timeout.ms up to 900 s.
    'request.timeout.ms': Math.min(config.requestTimeoutMs, 900_000),
    // Delivery reports, without a copy of each value: the opaque says which batch a message belongs to.
    dr_cb: true,
    // Implies the idempotent producer and acks=all, which the options insist on.
    ...(config.exactlyOnce ? { 'transactional.id': config.exactlyOnce.transactionalId } : {}),
  };
  return { ...settings, ...config.librdkafkaOptions };
}

/**
 * What every client of the sink (the producer, and the consumer that reads the checkpoint topic
 * back) needs to reach the brokers, `--kafka-option` entries included: addresses, timeouts, TLS
 * and SASL.
 */
export function connectionSettings(config: KafkaSinkConfig): LibrdkafkaConfig {
  const { tls, sasl } = config;
  const settings: LibrdkafkaConfig = {
    'bootstrap.servers': config.brokers.join(','),
    'client.id': config.clientId,
    // librdkafka's range: the connect timeout from 1 s.
    'socket.connection.setup.timeout.ms': Math.max(config.connectionTimeoutMs, 1000),
    'security.protocol': `${sasl ? 'sasl_' : ''}${tls ? 'ssl' : 'plaintext'}`,
  };
  if (tls) {
    if (tls.ca !== undefined) settings['ssl.ca.pem'] = tls.ca;
    if (tls.cert !== undefined && tls.key !== undefined) {
      settings['ssl.certificate.pem'] = tls.cert;
      settings['ssl.key.pem'] = tls.key;
    }
    if (tls.insecureSkipVerify) {
      settings['enable.ssl.certificate.verification'] = false;
      settings['ssl.endpoint.identification.algorithm'] = 'none';
    }
  }
  if (sasl) {
    settings['sasl.mechanisms'] = sasl.mechanism.toUpperCase();
    if (sasl.mechanism !== 'oauthbearer') {
      settings['sasl.username'] = sasl.username;
      settings['sasl.password'] = sasl.password;
    }
  }
  return { ...settings, ...config.librdkafkaOptions };
}
