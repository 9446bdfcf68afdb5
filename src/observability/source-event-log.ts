import type { Logger } from 'winston';
import type { SourceEvents } from '../source/source-events.js';
import type { AgentMetrics } from './metrics.js';

/** What the file source reports, as log lines and counters: the one place that decides how. */
export function sourceEventLog(logger: Logger, metrics: AgentMetrics): SourceEvents {
  return {
    fileFound: ({ path, fingerprint, offset, origin, completed }) =>
      logger.debug('tracking a new file', { file: path, fingerprint: fingerprint.hash, offset, origin, completed }),
    replaying: ({ path, fingerprint, acknowledged, size }) =>
      logger.warn('--replay: sending this file again from its start', {
        file: path,
        fingerprint: fingerprint.hash,
        duplicateBytes: acknowledged,
        sizeAtCheckpoint: size,
      }),
    rotated: ({ path, readTo }) => {
      metrics.rotations.inc();
      logger.info('audit log rotated', { file: path, readTo });
    },
    truncated: ({ path, readTo, sizeNow }) => {
      metrics.truncations.inc();
      logger.warn('audit log truncated in place; reading it again from offset 0 as a new generation', { path, readTo, sizeNow });
    },
    lost: ({ path, fingerprint, fromByte, toByte, reason }) => {
      metrics.bytesLost.inc(toByte - fromByte);
      logger.error('audit data lost: file gone before it was read to its end', {
        reason,
        file: path,
        fingerprint: fingerprint.hash,
        lostFromByte: fromByte,
        lostToByte: toByte,
        lostBytes: toByte - fromByte,
      });
    },
    unreadable: ({ path, code, error }) =>
      logger.error('audit log file cannot be read; its events are not shipped until it can be (retried with backoff, and at once when it changes)', {
        path,
        code,
        error,
      }),
    readableAgain: ({ path, unreadableForMs }) => logger.info('audit log file can be read again; it is read from its checkpoint offset, or on from the last line read (a file the checkpoint does not know: as a new file)', { path, unreadableForMs }),
    unreadableGone: ({ path, unreadableForMs }) =>
      logger.warn('an audit log file that could not be read left the directory before it could be read', { path, unreadableForMs }),
    gzipIncomplete: ({ path, readTo, error }) =>
      logger.warn('gzip backup is incomplete; it is read again when it changes', { file: path, readTo, error }),
    copyMoved: ({ path }) => logger.debug('a copy moved before it was opened; looking for it again', { file: path }),
    forgotten: ({ fingerprint }) => logger.debug('file done and gone; no longer tracked', { fingerprint: fingerprint.hash }),
    directoryUnlistable: ({ directory, error }) => logger.warn('log directory cannot be listed; waiting for it', { directory, error }),
    directoryListable: ({ directory }) => logger.info('log directory can be listed again', { directory }),
    watchFailed: ({ directory, error }) => logger.warn('directory watch failed; relying on the stat poll', { directory, error }),
  };
}
