import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { Logger } from 'winston';
import { kafkajsLevelFor, kafkajsLogCreator } from './kafkajs-log-bridge.js';
import type { KafkaSinkConfig } from './kafka-sink-config.js';

/**
 * kafkajs' own retries inside one send. They are kept short so a send against a broker that is
 * away fails within seconds: the agent then retries the whole batch with its capped backoff,
 * readiness turns false, and reading stops instead of kafkajs retrying forever out of sight
 * (its default for idempotent producers).
 */
export const SEND_RETRY = { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 } as const;

/** The kafkajs client settings for the sink's configuration. */
export function kafkaClientConfig(config: KafkaSinkConfig, logger: Logger): KafkaConfig {
  const { tls, sasl } = config;
  return {
    clientId: config.clientId,
    brokers: config.brokers,
    ssl: tls
      ? {
          ...(tls.ca === undefined ? {} : { ca: [tls.ca] }),
          ...(tls.cert === undefined ? {} : { cert: tls.cert, key: tls.key }),
          rejectUnauthorized: !tls.insecureSkipVerify,
        }
      : false,
    ...(sasl ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions } : {}),
    connectionTimeout: config.connectionTimeoutMs,
    authenticationTimeout: Math.max(config.connectionTimeoutMs, 10_000),
    requestTimeout: config.requestTimeoutMs,
    enforceRequestTimeout: true,
    retry: SEND_RETRY,
    logLevel: kafkajsLevelFor(logger),
    logCreator: kafkajsLogCreator(logger),
  };
}
