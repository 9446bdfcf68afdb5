import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { ModelRun } from './model-run.js';
import { judge } from './model-verdict.js';
import { describePlan, planSequence } from './sequence-plan.js';

/**
 * `make test` runs these seeds (lumberjack, copytruncate and numbered schemes); 2 and 10 leave
 * empty backups behind (a rotation with nothing written since the last), which once held up every
 * loss report. `make soak SEEDS=N [FIRST_SEED=S]` runs N seeds from S, and `make soak SEED=S` one.
 * Each seed is a whole sequence (scheme, settings and steps) on every machine.
 */
const FIXED_SEEDS = [2, 10, 19, 38, 41, 44, 50, 70];

function seedsToRun(): number[] {
  const one = process.env.MODEL_SEED;
  if (one) return [Number(one)];
  const count = process.env.MODEL_SEEDS;
  if (!count) return FIXED_SEEDS;
  const first = Number(process.env.MODEL_FIRST_SEED || 1000);
  return Array.from({ length: Number(count) }, (_, index) => first + index);
}

describe('file source against a model: random appends, rotations, gzip, deletions, copytruncate, numbered shifts, SIGKILL and SIGSTOP', function () {
  this.timeout(900_000);

  for (const seed of seedsToRun()) {
    it(`seed ${seed}: nothing on disk is missing, duplicates stay within the in-flight bound, every loss is reported with its byte range`, async () => {
      const plan = planSequence(seed);
      const reproduce = `make soak SEED=${seed}`;
      let verdict;
      const run = new ModelRun(plan);
      try {
        verdict = judge(await run.run());
      } catch (error) {
        throw new Error(`${(error as Error).message}\n  reproduce: ${reproduce}\n  ${describePlan(plan)}\n  workspace kept: ${run.workspace}`);
      }
      const stats = Object.entries(verdict.stats).map(([name, value]) => `${name} ${value}`).join(', ');
      console.log(`      ${plan.log.scheme}: ${stats}`);
      assert.deepEqual(verdict.failures, [], `reproduce: ${reproduce}\n  ${describePlan(plan)}\n  workspace kept: ${run.workspace}`);
      rmSync(run.workspace, { recursive: true, force: true });
    });
  }
});
