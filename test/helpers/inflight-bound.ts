import type { SinkTimeline } from './sink-timeline.js';

/**
 * The agent's largest single read (a chunk of a plain file or of a .gz's decompressed stream).
 * Reading pauses once --max-inflight-bytes are read and not acknowledged, but the read that
 * crossed the limit has already happened: the budget can be passed by one read and by the rest
 * of a line that read completes.
 */
export const AGENT_READ_BYTES = 256 * 1024;

/**
 * How late a checkpoint write may be beyond --checkpoint-interval-ms on a loaded machine (timer
 * lateness, fsync). It bounds only when the checkpoint was written; the duplicate bound itself
 * uses the checkpoint's own timestamp.
 */
export const CHECKPOINT_LATENESS_MS = 5_000;

/** What a SIGKILL may make the next agent send again, and why. */
export interface DuplicateBound {
  readonly bytes: number;
  readonly explanation: string;
}

/**
 * The bytes a SIGKILL may cause to be sent twice (in source bytes): what was read but not
 * acknowledged when the checkpoint was taken (at most the in-flight budget, passed by one read and
 * one line), plus what was delivered after the checkpoint was taken, which it cannot contain.
 * `sinkFrom`/`sinkTo` delimit the killed agent's own output; `bytesOf` gives a delivered line's
 * size in the audit log.
 */
export function duplicateBound(options: {
  readonly maxInflightBytes: number;
  readonly longestLine: number;
  readonly sink: SinkTimeline;
  readonly checkpointWrittenAtMs: number | undefined;
  readonly sinkFrom: number;
  readonly sinkTo: number;
  readonly bytesOf: (key: string | undefined) => number;
}): DuplicateBound {
  const { sink } = options;
  const windowStart = Math.max(options.sinkFrom, sink.deliveredBytesBefore(options.checkpointWrittenAtMs ?? Number.NEGATIVE_INFINITY));
  let afterCheckpoint = 0;
  for (const line of sink.read()) {
    if (line.start >= windowStart && line.start < options.sinkTo) afterCheckpoint += options.bytesOf(line.key);
  }
  const bytes = options.maxInflightBytes + AGENT_READ_BYTES + options.longestLine + afterCheckpoint;
  return {
    bytes,
    explanation: `--max-inflight-bytes ${options.maxInflightBytes} + one read ${AGENT_READ_BYTES} + longest line ${options.longestLine} + ${afterCheckpoint} delivered after the checkpoint`,
  };
}
