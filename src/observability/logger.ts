import winston from 'winston';

/**
 * Structured JSON logs on stderr. stdout is left to the `stdout` sink, so log lines and shipped
 * events never mix. Event bodies and secrets are never logged at info level.
 */
export function createLogger(level: string): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    // The DaemonSet passes the node name through the Downward API: it tells which control-plane
    // node a log line comes from once logs are aggregated.
    defaultMeta: { service: 'kube-audit-forwarder', ...(process.env.NODE_NAME ? { node: process.env.NODE_NAME } : {}) },
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug', 'verbose', 'silly'] })],
  });
}
