import path from 'node:path';
import { alertOptions, type AlertConfig } from './alerts/alert-options.js';
import { ConfigError } from './config-error.js';
import { boolean, byteSize, givenAs, integer, oneOf, optionalString, requiredString } from './config-values.js';
import { httpOptions, type HttpServerConfig } from './observability/http-options.js';
import type { OptionGroup, ParsedArgs } from './option-group.js';
import { ruleFieldWarnings } from './rules/language/rule-field-check.js';
import { processorOptions, type ProcessorConfig } from './rules/processor-options.js';
import { givenOptions } from './settings-sources.js';
import { sinkDefinitions, sinkNames } from './sinks/registry.js';
import type { AnySinkDefinition } from './sinks/sink-definition.js';

/** `checkpoint` is the name the default had before `--start-at` stopped overriding the checkpoint. */
export const START_AT_CHOICES = ['checkpoint', 'beginning', 'end'] as const;
export type StartAt = 'beginning' | 'end';

export const OVERSIZE_POLICIES = ['truncate', 'dead-letter'] as const;
export type OversizePolicy = (typeof OVERSIZE_POLICIES)[number];

export const INVALID_LINE_POLICIES = ['dead-letter', 'ship-raw'] as const;
export type InvalidLinePolicy = (typeof INVALID_LINE_POLICIES)[number];

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything `run` needs, validated. Sink settings live in `sinkConfig`, typed by the sink. */
export interface AgentConfig {
  /** The live audit log; its lumberjack backups are looked for in the same directory. */
  logPath: string;
  checkpointDir: string;
  /** Where files the checkpoint does not know start, if they are on disk at start. */
  startAt: StartAt;
  /** Send every file on disk again from its start, whatever the checkpoint says (this start only). */
  replay: boolean;
  /** How long after start a missing log directory (or log file) does not yet make the agent unready. */
  logDirGraceMs: number;
  /** Lines longer than this (bytes, newline excluded) take the oversize policy. */
  maxLineBytes: number;
  oversizePolicy: OversizePolicy;
  invalidLinePolicy: InvalidLinePolicy;
  deadLetterDir: string;
  batchMaxEvents: number;
  batchMaxBytes: number;
  batchLingerMs: number;
  /** Reading pauses while this many bytes are read but not yet acknowledged by the sink. */
  maxInflightBytes: number;
  /** Given, or the sink's default (see SinkDefinition.maxInflightBatches), or DEFAULT_MAX_INFLIGHT_BATCHES. */
  maxInflightBatches: number;
  pollIntervalMs: number;
  checkpointIntervalMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  shutdownTimeoutMs: number;
  exitWhenCaughtUp: boolean;
  progressIntervalMs: number;
  logLevel: LogLevel;
  sink: AnySinkDefinition;
  sinkConfig: unknown;
  /** Redaction, filters and detections run on each event before batching. */
  processors: ProcessorConfig;
  /** Where /metrics, /healthz and /readyz are served. */
  http: HttpServerConfig;
  /** How the user gave a setting (`--checkpoint-dir` or `KAF_CHECKPOINT_DIR`), for errors found after parsing. */
  settingName: (flag: string) => string;
  /** Where detections are sent as alerts (Alertmanager, webhooks); none by default. */
  alerts: AlertConfig;
  /** Settings that are valid but probably not what was meant; logged at start. */
  warnings: string[];
}

/** Batches in flight at most, for sinks with no default of their own. */
export const DEFAULT_MAX_INFLIGHT_BATCHES = 8;

type CoreConfig = Omit<AgentConfig, 'sink' | 'sinkConfig' | 'processors' | 'http' | 'alerts' | 'warnings' | 'settingName' | 'maxInflightBatches'> & {
  /** Undefined unless given: the default depends on the sink. */
  maxInflightBatches: number | undefined;
};

export const coreOptions: OptionGroup<CoreConfig> = {
  title: 'Source and pipeline:',
  options: {
    path: {
      kind: 'string',
      default: '/var/log/kubernetes/audit.log',
      describe: 'The audit log kube-apiserver writes (--audit-log-path); its backups are found beside it',
    },
    'checkpoint-dir': {
      kind: 'string',
      default: '/var/lib/kube-audit-forwarder',
      describe: 'Directory for the durable checkpoint (keep it on a hostPath so it survives the pod)',
    },
    'start-at': {
      kind: 'choice',
      choices: START_AT_CHOICES,
      default: 'beginning',
      describe:
        'Where a file the checkpoint does not know starts when it is already on disk at start: beginning, or end (skip what is there); files with a checkpoint always resume from it (checkpoint is the former name of beginning)',
    },
    replay: {
      kind: 'boolean',
      default: false,
      describe:
        'Send every file on disk again from its start, ignoring the checkpoint positions for this start (logs each file and the bytes sent twice); for a one-off run, e.g. with --exit-when-caught-up',
    },
    'log-dir-grace-ms': {
      kind: 'integer',
      default: 60000,
      describe: 'After start, how long the log directory may be missing (or hold no audit log) before /readyz reports not ready',
    },
    'max-line-bytes': {
      kind: 'size',
      default: '1MiB',
      describe: 'Lines longer than this take --oversize-policy (audit events of 100 KiB are normal)',
    },
    'oversize-policy': {
      kind: 'choice',
      choices: OVERSIZE_POLICIES,
      default: 'truncate',
      describe:
        'truncate: ship the event with requestObject/responseObject replaced by a size marker and an annotation; dead-letter: write the line to the dead-letter dir instead of shipping it',
    },
    'invalid-line-policy': {
      kind: 'choice',
      choices: INVALID_LINE_POLICIES,
      default: 'dead-letter',
      describe: 'What to do with a line that is not a JSON object: write it to the dead-letter dir, or ship it wrapped as {"kafInvalidLine": "<text>"}',
    },
    'dead-letter-dir': {
      kind: 'string',
      describe: 'Where invalid and oversize lines go (default: <checkpoint-dir>/dead-letter)',
    },
    'batch-max-events': { kind: 'integer', default: 2000, describe: 'Most events in one batch' },
    'batch-max-bytes': { kind: 'size', default: '1MiB', describe: 'Most bytes in one batch' },
    'batch-linger-ms': {
      kind: 'integer',
      default: 200,
      describe: 'How long a batch that is not full waits for more events before it is sent',
    },
    'max-inflight-bytes': {
      kind: 'size',
      default: '32MiB',
      describe: 'Reading pauses while this many bytes are read but not acknowledged (bounds memory)',
    },
    'max-inflight-batches': {
      kind: 'integer',
      describe: `Batches sent and not yet acknowledged, at most; reading pauses at this many too (default: ${inflightBatchesDefaults()})`,
    },
    'poll-interval-ms': {
      kind: 'integer',
      default: 1000,
      describe: 'Stat poll of the log directory, the safety net behind filesystem events',
    },
    'checkpoint-interval-ms': {
      kind: 'integer',
      default: 1000,
      describe: 'How often acknowledged progress is written to the checkpoint',
    },
    'retry-min-ms': { kind: 'integer', default: 200, describe: 'First retry delay after a failed send' },
    'retry-max-ms': { kind: 'integer', default: 30000, describe: 'Longest retry delay (retries never stop)' },
    'shutdown-timeout-ms': {
      kind: 'integer',
      default: 20000,
      describe: 'On SIGTERM, how long in-flight batches may take to be acknowledged before exit',
    },
    'exit-when-caught-up': {
      kind: 'boolean',
      default: false,
      describe:
        'Exit once every file it can read is read to its end and acknowledged, and every file that vanished unread is reported lost (catch-up and benchmarks): 0, or 3 when a file of the log could not be read (named in an error log; its events may be missing)',
    },
    'progress-interval-ms': {
      kind: 'integer',
      default: 0,
      describe: 'Log a progress line (events/s, lag, rotations) this often; 0 turns it off',
    },
    'log-level': { kind: 'choice', choices: LOG_LEVELS, default: 'info', describe: 'Agent log verbosity' },
  },
  read(argv) {
    const logPath = path.resolve(requiredString(argv, 'path'));
    const checkpointDir = path.resolve(requiredString(argv, 'checkpoint-dir'));
    const retryMinMs = integer(argv, 'retry-min-ms', 1, 3_600_000);
    const retryMaxMs = integer(argv, 'retry-max-ms', 1, 3_600_000);
    if (retryMaxMs < retryMinMs) {
      throw new ConfigError(`${givenAs(argv, 'retry-max-ms')}: ${retryMaxMs} is below ${givenAs(argv, 'retry-min-ms')} (${retryMinMs})`);
    }
    const batchMaxBytes = byteSize(argv, 'batch-max-bytes', 1024, 256 * 1024 ** 2);
    const maxInflightBytes = byteSize(argv, 'max-inflight-bytes', 64 * 1024, 4 * 1024 ** 3);
    if (maxInflightBytes < batchMaxBytes) {
      throw new ConfigError(
        `${givenAs(argv, 'max-inflight-bytes')}: ${maxInflightBytes} bytes is below ${givenAs(argv, 'batch-max-bytes')} (${batchMaxBytes} bytes)`,
      );
    }
    return {
      logPath,
      checkpointDir,
      startAt: oneOf(argv, 'start-at', START_AT_CHOICES) === 'end' ? 'end' : 'beginning',
      replay: boolean(argv, 'replay'),
      logDirGraceMs: integer(argv, 'log-dir-grace-ms', 0, 86_400_000),
      maxLineBytes: byteSize(argv, 'max-line-bytes', 1024, 1024 ** 3),
      oversizePolicy: oneOf(argv, 'oversize-policy', OVERSIZE_POLICIES),
      invalidLinePolicy: oneOf(argv, 'invalid-line-policy', INVALID_LINE_POLICIES),
      deadLetterDir: path.resolve(optionalString(argv, 'dead-letter-dir') ?? path.join(checkpointDir, 'dead-letter')),
      batchMaxEvents: integer(argv, 'batch-max-events', 1, 1_000_000),
      batchMaxBytes,
      batchLingerMs: integer(argv, 'batch-linger-ms', 0, 60_000),
      maxInflightBytes,
      maxInflightBatches: optionalString(argv, 'max-inflight-batches') === undefined ? undefined : integer(argv, 'max-inflight-batches', 1, 1024),
      pollIntervalMs: integer(argv, 'poll-interval-ms', 10, 600_000),
      checkpointIntervalMs: integer(argv, 'checkpoint-interval-ms', 10, 600_000),
      retryMinMs,
      retryMaxMs,
      shutdownTimeoutMs: integer(argv, 'shutdown-timeout-ms', 0, 3_600_000),
      exitWhenCaughtUp: boolean(argv, 'exit-when-caught-up'),
      progressIntervalMs: integer(argv, 'progress-interval-ms', 0, 3_600_000),
      logLevel: oneOf(argv, 'log-level', LOG_LEVELS),
    };
  },
};

export const sinkSelectionOption = {
  sink: {
    kind: 'choice' as const,
    choices: sinkNames(),
    default: 'file',
    describe: sinkDefinitions.map((definition) => `${definition.name}: ${definition.description}`).join('; '),
  },
};

/** `8, 4 with --sink kafka`: the agent's default, then the sinks' own. */
function inflightBatchesDefaults(): string {
  const own = sinkDefinitions.filter((definition) => definition.maxInflightBatches !== undefined);
  return [String(DEFAULT_MAX_INFLIGHT_BATCHES), ...own.map((definition) => `${definition.maxInflightBatches} with --sink ${definition.name}`)].join(', ');
}

/** Reads and validates the whole `run` configuration; throws ConfigError on the first problem. */
export function readAgentConfig(argv: ParsedArgs): AgentConfig {
  const core = coreOptions.read(argv);
  const sinkName = oneOf(argv, 'sink', sinkNames());
  const sink = sinkDefinitions.find((definition) => definition.name === sinkName)!;
  const processors = processorOptions.read(argv);
  return {
    ...core,
    maxInflightBatches: core.maxInflightBatches ?? sink.maxInflightBatches ?? DEFAULT_MAX_INFLIGHT_BATCHES,
    sink,
    sinkConfig: sink.optionGroup.read(argv),
    processors,
    http: httpOptions.read(argv),
    alerts: alertOptions.read(argv),
    warnings: [
      ...unusedSinkOptions(argv, sinkName),
      ...ruleFieldWarnings(processors),
    ],
    settingName: (flag) => givenAs(argv, flag),
  };
}

/** Options set for a sink other than the selected one: a sign that `--sink` is not what was meant. */
function unusedSinkOptions(argv: ParsedArgs, sinkName: string): string[] {
  const owners = new Map<string, string>();
  for (const definition of sinkDefinitions) {
    for (const flag of Object.keys(definition.optionGroup.options)) owners.set(flag, definition.name);
  }
  for (const [flag, spec] of Object.entries(processorOptions.options)) if (spec.sink) owners.set(flag, spec.sink);
  return givenOptions(argv)
    .filter((flag) => owners.has(flag) && owners.get(flag) !== sinkName)
    .map((flag) => `${givenAs(argv, flag)} is set but only the ${owners.get(flag)} sink reads it, and the sink is ${sinkName}`);
}
