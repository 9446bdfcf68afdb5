import type { Logger } from 'winston';
import { Agent } from '../agent.js';
import { Alerting } from '../alerts/alerting.js';
import { ensureUsableDirectory, UnusableDirectoryError } from '../checkpoint/usable-directory.js';
import { ConfigError } from '../config-error.js';
import type { AgentConfig } from '../config.js';
import { startHttpServer, type HttpServerHandle } from '../observability/http-server.js';
import { createLogger } from '../observability/logger.js';
import { AgentMetrics } from '../observability/metrics.js';
import { buildProcessors } from '../rules/build-processors.js';
import type { StopSignals } from './stop-signals.js';

/**
 * Exit code of `--exit-when-caught-up` when every file it could read was delivered but some file
 * of the log could not be read: its events may be missing from the sink, which a script must not
 * take for success (0), nor for a failure to run (1) or bad configuration (2).
 */
const EXIT_CAUGHT_UP_EXCEPT_UNREADABLE = 3;

/**
 * `kube-audit-forwarder run`: starts the agent and keeps it running until SIGTERM/SIGINT (or,
 * with --exit-when-caught-up, until everything on disk that it can read is delivered). Exit 0
 * after a clean drain.
 */
export async function runAgent(config: AgentConfig, stopSignals: StopSignals): Promise<number> {
  directoriesUsable(config);
  const logger = createLogger(config.logLevel);
  stopSignals.attachLog(logger);
  if (stopSignals.signal) return 0; // stopped before anything was read: nothing to drain
  for (const warning of config.warnings) logger.warn('setting has no effect', { warning });
  const metrics = new AgentMetrics();
  const sink = await config.sink.create(config.sinkConfig, { logger, registry: metrics.registry });
  const alerting = Alerting.create(config.alerts, {
    logger,
    registry: metrics.registry,
    rules: config.processors.detections ? config.processors.rules : [],
  });
  if (alerting && !config.processors.detections) logger.warn('alert receivers are set but --no-detections is too: no alert will be raised');
  const processors = buildProcessors(config.processors, { logger, registry: metrics.registry, detectionListener: alerting });
  const agent = new Agent({ config, sink, processors, metrics, logger });

  // Served before the agent starts, so liveness answers while the checkpoint is restored.
  let http: HttpServerHandle;
  try {
    http = await startHttpServer({ ...config.http, registry: metrics.registry, readiness: () => agent.readiness(), logger });
  } catch (error) {
    logger.error('agent failed to start', { error: (error as Error).message });
    return 1;
  }
  alerting?.start();
  try {
    await agent.start();
  } catch (error) {
    logger.error('agent failed to start', { error: (error as Error).message });
    await agent.stop().catch(() => undefined);
    await alerting?.stop();
    await http.close();
    return 1;
  }
  const outcome = await Promise.race([
    stopSignals.requested.then(() => 'stop' as const),
    agent.whenFenced().then(() => 'fenced' as const),
    ...(config.exitWhenCaughtUp ? [agent.whenCaughtUp().then(() => 'caught-up' as const)] : []),
  ]);
  const code = outcome === 'caught-up' ? caughtUpCode(agent, logger) : 0;
  await agent.stop();
  await alerting?.stop();
  await http.close();
  // Exiting lets the pod restart (and fence back) only after its restart back-off; the log says why.
  return outcome === 'fenced' ? 1 : code;
}

/**
 * What a run with --exit-when-caught-up ends with: waiting for a file that may never become
 * readable would hang a catch-up job forever, so it ends once every readable file is delivered,
 * and names the files it could not read.
 */
function caughtUpCode(agent: Agent, logger: Logger): number {
  const unreadable = agent.unreadableFiles();
  if (unreadable.length === 0) {
    logger.info('caught up: every file read to its end and acknowledged');
    return 0;
  }
  logger.error('caught up on every file that could be read, but these files of the log could not be read: their events may be missing from the sink', {
    files: unreadable.map((file) => ({ path: file.path, code: file.code, error: file.error })),
    exitCode: EXIT_CAUGHT_UP_EXCEPT_UNREADABLE,
  });
  return EXIT_CAUGHT_UP_EXCEPT_UNREADABLE;
}

/**
 * A checkpoint or dead-letter directory (the core's or a sink's) that cannot be created or written is bad configuration,
 * found before any log line. Both are created now: the dead-letter file is opened only when a
 * first line goes there, too late to be told apart from a runtime failure.
 */
function directoriesUsable(config: AgentConfig): void {
  for (const [flag, directory] of [
    ['checkpoint-dir', config.checkpointDir],
    ['dead-letter-dir', config.deadLetterDir],
    ...(config.sink.directories?.(config.sinkConfig) ?? []),
  ] as const) {
    try {
      ensureUsableDirectory(directory);
    } catch (error) {
      if (error instanceof UnusableDirectoryError) throw new ConfigError(`${config.settingName(flag)}: ${error.message}`);
      throw error;
    }
  }
}
