import { SeededRandom } from '../helpers/seeded-random.js';
import type { LogSchemeOptions, RotationScheme } from './model-log.js';

/**
 * One step of a sequence. Writer steps change the files; agent steps change the agent process;
 * `progress` and `settle` wait on what the agent delivered (conditions, never sleeps).
 */
export type Step =
  | { kind: 'append'; lines: number }
  | { kind: 'appendLong' }
  /** Writes the first `fraction` of a line now and the rest at the next writer step. */
  | { kind: 'appendPartial'; fraction: number }
  | { kind: 'rotate' }
  | { kind: 'flushMill' }
  /** Waits until the agent delivered at least one more line (or everything), if it is running. */
  | { kind: 'progress' }
  /** Waits until the agent delivered everything written so far, if it is running. */
  | { kind: 'settle' }
  | { kind: 'kill' }
  | { kind: 'terminate' }
  | { kind: 'start' }
  | { kind: 'freeze' }
  | { kind: 'thaw' };

export interface AgentSettings {
  readonly maxInflightBytes: number;
  readonly batchMaxBytes: number;
  readonly batchMaxEvents: number;
  readonly checkpointIntervalMs: number;
  readonly maxLineBytes: number;
}

export interface SequencePlan {
  readonly seed: number;
  readonly log: LogSchemeOptions;
  readonly agent: AgentSettings;
  readonly steps: readonly Step[];
}

type AgentState = 'running' | 'frozen' | 'down';

const KIB = 1024;

/** Draws a whole sequence from its seed: the same seed gives the same plan on every machine. */
export function planSequence(seed: number, length?: number): SequencePlan {
  const random = new SeededRandom(seed);
  const scheme = random.weighted<RotationScheme>([
    ['lumberjack', 2],
    ['copytruncate', 1],
    ['numbered', 1],
  ]);
  const log: LogSchemeOptions = {
    scheme,
    maxSizeBytes: random.int(512, 1536) * KIB,
    maxBackups: scheme === 'lumberjack' ? random.pick([0, 1, 2, 3, 5]) : random.int(2, 5),
    compress: scheme === 'numbered' ? true : random.chance(0.7),
    gzipChunkBytes: random.int(2, 32) * KIB,
    gzipChunkDelayMs: random.pick([0, 0, 2, 10]),
  };
  const maxInflightBytes = random.int(64, 2048) * KIB;
  const agent: AgentSettings = {
    maxInflightBytes,
    batchMaxBytes: Math.min(maxInflightBytes, random.int(16, 1024) * KIB),
    batchMaxEvents: random.int(50, 2000),
    checkpointIntervalMs: random.pick([20, 50, 100, 250, 500]),
    maxLineBytes: random.int(64, 512) * KIB,
  };
  const steps: Step[] = [];
  let state: AgentState = 'running';
  const total = length ?? random.int(40, 80);
  while (steps.length < total) {
    const step = drawStep(random, state);
    if (step.kind === 'kill' || step.kind === 'terminate') state = 'down';
    else if (step.kind === 'start' || step.kind === 'thaw') state = 'running';
    else if (step.kind === 'freeze') state = 'frozen';
    steps.push(step);
  }
  return { seed, log, agent, steps };
}

function drawStep(random: SeededRandom, state: AgentState): Step {
  const writerSteps: Array<readonly [() => Step, number]> = [
    [() => ({ kind: 'append', lines: random.int(1, random.chance(0.2) ? 2000 : 300) }), 30],
    [() => ({ kind: 'appendLong' }), 4],
    [() => ({ kind: 'appendPartial', fraction: random.next() }), 5],
    [() => ({ kind: 'rotate' }), 8],
    [() => ({ kind: 'flushMill' }), 3],
  ];
  const agentSteps: Array<readonly [() => Step, number]> =
    state === 'running'
      ? [
          [() => ({ kind: 'progress' }), 10],
          [() => ({ kind: 'settle' }), 3],
          [() => ({ kind: 'kill' }), 5],
          [() => ({ kind: 'terminate' }), 2],
          [() => ({ kind: 'freeze' }), 3],
        ]
      : state === 'frozen'
        ? [
            [() => ({ kind: 'thaw' }), 10],
            [() => ({ kind: 'kill' }), 3],
          ]
        : [[() => ({ kind: 'start' }), 12]];
  return random.weighted([...writerSteps, ...agentSteps])();
}

/** A plan in one line per step, for failure messages. */
export function describePlan(plan: SequencePlan): string {
  const steps = plan.steps.map((step) => (step.kind === 'append' ? `append(${step.lines})` : step.kind === 'appendPartial' ? `partial(${step.fraction.toFixed(2)})` : step.kind));
  return `seed ${plan.seed}: log ${JSON.stringify(plan.log)}, agent ${JSON.stringify(plan.agent)}\n  steps: ${steps.join(' ')}`;
}
