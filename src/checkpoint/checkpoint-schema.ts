/**
 * The checkpoint's on-disk schema, by version, and the upgrade from every older version to the
 * current one. A checkpoint written by any released agent must stay readable: an agent that
 * cannot read its predecessor's positions re-sends everything (duplicates) or, worse, is told to
 * start at the end. Versions only ever get added here; `test/fixtures/checkpoint/` keeps one
 * document written by each release.
 *
 * - Version 1 (release 0.1.0): `{version: 1, writtenAt, files}`.
 * - Version 2: adds `progressAt`, when a position last changed, so the checkpoint's age ("no
 *   progress for N minutes") survives a restart instead of starting again from 0 each time.
 */
export const CHECKPOINT_VERSION = 2;

/** What the checkpoint remembers of one file: where to resume it, and what was lost if it vanished. */
export interface CheckpointEntry {
  /** The file's identity: hash of its first line (see source/fingerprint). */
  fingerprint: { hash: string; length: number };
  /** Just past the last acknowledged line; every line before it is acknowledged too. */
  offset: number;
  /** Bytes the file was known to hold (decompressed): the end of what is lost if it vanishes. */
  size: number;
  /** Read and acknowledged to its end, and it can no longer grow. */
  completed: boolean;
  /** Where it was last seen (for people and loss reports; files are matched by fingerprint). */
  path: string;
  dev: number;
  ino: number;
}

/** The current version's document. */
export interface CheckpointDocument {
  version: typeof CHECKPOINT_VERSION;
  writtenAt: string;
  /** When a position last changed (ISO time). */
  progressAt: string;
  files: CheckpointEntry[];
}

interface CheckpointV1 {
  version: 1;
  writtenAt: string;
  files: CheckpointEntry[];
}

export type ParseResult = { document: CheckpointDocument; upgradedFrom?: number } | { problem: string };

/** Validates a decoded checkpoint body of any known version and upgrades it to the current one. */
export function parseCheckpoint(body: unknown): ParseResult {
  if (typeof body !== 'object' || body === null) return { problem: 'not a JSON object' };
  const { version } = body as { version?: unknown };
  if (typeof version !== 'number') return { problem: 'no version number' };
  if (version > CHECKPOINT_VERSION) {
    return { problem: `written by a newer agent (schema version ${version}; this agent reads up to ${CHECKPOINT_VERSION})` };
  }
  if (version === 1) {
    const v1 = body as CheckpointV1;
    // Version 1 did not check dev and ino when it read them back: they may be missing.
    if (!isTime(v1.writtenAt) || !isEntryList(v1.files, false)) return { problem: 'unexpected structure (version 1)' };
    return { document: upgradeV1(v1), upgradedFrom: 1 };
  }
  if (version === 2) {
    const v2 = body as CheckpointDocument;
    if (!isTime(v2.writtenAt) || !isTime(v2.progressAt) || !isEntryList(v2.files)) return { problem: 'unexpected structure (version 2)' };
    return { document: v2 };
  }
  return { problem: `unknown schema version ${version}` };
}

/** Version 1 did not record when progress was made: its write time is the best bound there is. */
function upgradeV1(v1: CheckpointV1): CheckpointDocument {
  const files = v1.files.map((file) => ({ ...file, dev: file.dev ?? 0, ino: file.ino ?? 0 }));
  return { version: CHECKPOINT_VERSION, writtenAt: v1.writtenAt, progressAt: v1.writtenAt, files };
}

/** The document to write now. */
export function checkpointDocument(files: CheckpointEntry[], progressAt: Date, now = new Date()): CheckpointDocument {
  return { version: CHECKPOINT_VERSION, writtenAt: now.toISOString(), progressAt: progressAt.toISOString(), files };
}

function isTime(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

function isEntryList(value: unknown, withInode = true): value is CheckpointEntry[] {
  return Array.isArray(value) && value.every((entry) => isEntry(entry, withInode));
}

function isEntry(value: unknown, withInode: boolean): value is CheckpointEntry {
  const entry = value as CheckpointEntry;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.fingerprint?.hash === 'string' &&
    typeof entry.fingerprint.length === 'number' &&
    Number.isSafeInteger(entry.offset) &&
    entry.offset >= 0 &&
    Number.isSafeInteger(entry.size) &&
    typeof entry.completed === 'boolean' &&
    typeof entry.path === 'string' &&
    (withInode ? Number.isSafeInteger(entry.dev) && Number.isSafeInteger(entry.ino) : true)
  );
}
