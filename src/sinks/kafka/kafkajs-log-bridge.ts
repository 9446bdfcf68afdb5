import kafkajs, { type logCreator, type logLevel as LogLevel } from 'kafkajs';
import type { Logger } from 'winston';

const { logLevel } = kafkajs;

/**
 * kafkajs warns about settings the sink chose on purpose: its retries inside one send are
 * bounded so the agent's own backoff and readiness take over (duplicates that this allows are
 * part of the at-least-once contract). Logged at debug, so operators are not told to fix it.
 */
const INTENDED = /^Limiting retries for the idempotent producer/;

/**
 * Routes kafkajs' own log lines into the agent's winston logger (kafkajs would otherwise print
 * its own JSON to stdout, where the stdout sink writes events). kafkajs logs every retriable
 * broker answer at ERROR; the sink reports each failed send itself, so kafkajs' errors are
 * lowered to warn to keep one error line per real failure.
 */
export function kafkajsLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _source, ...details } = log;
      const winstonLevel =
        level === logLevel.DEBUG || INTENDED.test(message) ? 'debug' : level === logLevel.INFO ? 'info' : 'warn';
      logger.log(winstonLevel, `kafkajs: ${message}`, { component: 'kafkajs', namespace, ...details });
    };
}

/** The kafkajs level that lets through what the winston logger would print anyway. */
export function kafkajsLevelFor(logger: Logger): LogLevel {
  if (logger.isDebugEnabled()) return logLevel.DEBUG;
  if (logger.isInfoEnabled()) return logLevel.INFO;
  return logLevel.WARN;
}
