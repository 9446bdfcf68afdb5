import { spawnSync } from 'node:child_process';
import { CLI_PATH } from './agent-process.js';

/** A checkpoint as `kube-audit-forwarder checkpoints --json` prints it: what the next agent resumes from. */
export interface CheckpointView {
  /** Undefined when there is no checkpoint yet. */
  readonly writtenAtMs: number | undefined;
  /** `fingerprint`: the first 12 hex digits of the file's identity, as the command prints it. */
  readonly files: ReadonlyArray<{ readonly file: string; readonly fingerprint: string; readonly offset: number; readonly knownSize: number }>;
}

/** Reads the checkpoint through the CLI, as an operator would (the agent need not run). */
export function readCheckpointView(checkpointDir: string): CheckpointView {
  const result = spawnSync(process.execPath, [CLI_PATH, 'checkpoints', '--checkpoint-dir', checkpointDir, '--json'], { encoding: 'utf8' });
  if (result.status === 1) return { writtenAtMs: undefined, files: [] };
  if (result.status !== 0) throw new Error(`checkpoints command failed (${result.status}): ${result.stderr}`);
  // Warnings about an unusable generation come first, one a line; the JSON document follows.
  const json = result.stdout.slice(result.stdout.startsWith('{') ? 0 : result.stdout.indexOf('\n{') + 1);
  const parsed = JSON.parse(json) as { writtenAt: string; files: Array<{ file: string; fingerprint: string; offset: number; knownSize: number }> };
  return {
    writtenAtMs: Date.parse(parsed.writtenAt),
    files: parsed.files.map(({ file, fingerprint, offset, knownSize }) => ({ file, fingerprint, offset, knownSize })),
  };
}

/** The offsets of the checkpoint summed: how many bytes of the files on disk a restart skips. */
export function checkpointedBytes(checkpointDir: string): number {
  return readCheckpointView(checkpointDir).files.reduce((sum, file) => sum + file.offset, 0);
}
