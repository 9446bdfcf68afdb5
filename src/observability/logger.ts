import winston from 'winston';

/**
 * Structured JSON logs on stderr. stdout is left to the `stdout` sink, so log lines and shipped
 * events never mix. Event bodies and secrets are never logged at info level.
 */
export function createLogger(level: string): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    defaultMeta: { service: 'kube-audit-forwarder' },
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug', 'verbose', 'silly'] })],
  });
}
