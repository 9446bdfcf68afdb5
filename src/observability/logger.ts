import winston from 'winston';

/**
 * Structured JSON logs on stderr. stdout is left to the `stdout` sink, so log lines and shipped
 * events never mix. Event bodies and secrets are never logged at info level.
 */
export function createLogger(level: string): winston.Logger {
  survivePipeLoss(process.stderr);
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    // The DaemonSet passes the node name through the Downward API: it tells which control-plane
    // node a log line comes from once logs are aggregated.
    defaultMeta: { service: 'kube-audit-forwarder', ...(process.env.NODE_NAME ? { node: process.env.NODE_NAME } : {}) },
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug', 'verbose', 'silly'] })],
  });
}

const guarded = new WeakSet<NodeJS.WriteStream>();

/**
 * Losing the log (`run 2>&1 | head`, a log collector that went away) must not stop shipping or
 * checkpointing: without a listener, the EPIPE that the next write meets is thrown and ends the
 * process. There is nowhere left to report it, so later lines are dropped.
 */
function survivePipeLoss(stream: NodeJS.WriteStream): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  stream.on('error', () => undefined);
}
