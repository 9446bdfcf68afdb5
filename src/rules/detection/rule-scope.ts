import type { AuditEvent } from '../../audit/audit-event.js';
import { compileCondition, type ValuesPredicate } from '../language/condition.js';
import { compileEventField } from '../language/event-field.js';
import { RuleSyntaxError } from '../language/rule-syntax-error.js';

/**
 * Which events a detection rule looks at before its conditions: the engine's defaults, stated
 * once here instead of in every rule, and a rule's own `stages:` / `responses:` when it says
 * otherwise.
 *
 * - `stages`: by default every stage but `RequestReceived` (a request logged at several stages
 *   alerts once per stage that has a response; events without a stage are looked at).
 *   `stages: any` includes RequestReceived; a list names the stages (`[ResponseStarted]`).
 * - `responses`: by default `successful`, i.e. not answered with `responseStatus.code` ≥ 400 (a
 *   denied or failed request did not do what the rule is about; events without a code count as
 *   successful). `failed` looks only at those answered ≥ 400 ("tried and was refused"), `any` at both.
 */
export interface RuleScope {
  readonly stages: 'default' | 'any' | readonly string[];
  readonly responses: ResponseScope;
  /** Whether an event with these `stage` values and this outcome is in scope. */
  readonly includes: (stageValues: readonly unknown[], failed: boolean) => boolean;
}

export const RESPONSE_SCOPES = ['successful', 'failed', 'any'] as const;
export type ResponseScope = (typeof RESPONSE_SCOPES)[number];

/** The stage every rule skips by default. */
export const DEFAULT_SKIPPED_STAGE = 'RequestReceived';

const CODE_FIELDS = new Set(['code', 'responseStatus.code']);
const FAILURE_CODES = Array.from({ length: 200 }, (_, index) => 400 + index);

const isDefaultSkippedStage = compileCondition(DEFAULT_SKIPPED_STAGE);
const readStage = compileEventField('stage');
const readCode = compileEventField('code');
const isFailureCode = compileCondition({ gte: 400 });

/** The `stage` values of an event, as rule conditions see them. */
export function stageValuesOf(event: AuditEvent): unknown[] {
  return readStage(event);
}

/** Whether the request was answered with a code of 400 or more. */
export function isFailedResponse(event: AuditEvent): boolean {
  return isFailureCode(readCode(event));
}

/** The same, from the `responseStatus.code` values already read. */
export function isFailureCodeAmong(codes: readonly unknown[]): boolean {
  return isFailureCode(codes);
}

/**
 * Reads a rule's scope. A rule whose `match` or `any` asks for what the defaults leave out (a
 * failure code, the RequestReceived stage) without overriding them would never fire: that is a
 * RuleSyntaxError that says which setting to add, not a rule that is silently dead.
 */
export function parseRuleScope(stages: unknown, responses: unknown, conditionSets: readonly Record<string, unknown>[]): RuleScope {
  const stageScope = parseStages(stages);
  for (const conditions of conditionSets) {
    for (const [field, condition] of Object.entries(conditions)) {
      if (stages === undefined && field === 'stage' && compileCondition(condition)([DEFAULT_SKIPPED_STAGE])) {
        throw new RuleSyntaxError(`a condition on stage ${DEFAULT_SKIPPED_STAGE} needs "stages: any" (rules skip that stage by default)`);
      }
      if (responses === undefined && CODE_FIELDS.has(field) && FAILURE_CODES.some((code) => compileCondition(condition)([code]))) {
        throw new RuleSyntaxError('a condition on failure codes needs "responses: failed" or "responses: any" (rules skip requests answered with 400 or more by default)');
      }
    }
  }
  if (responses !== undefined && !(RESPONSE_SCOPES as readonly unknown[]).includes(responses)) {
    throw new RuleSyntaxError(`responses must be one of ${RESPONSE_SCOPES.join(', ')}`);
  }
  const responseScope = (responses ?? 'successful') as ResponseScope;
  const stageTest: ValuesPredicate =
    stageScope === 'default' ? (values) => !isDefaultSkippedStage(values)
    : stageScope === 'any' ? () => true
    : compileCondition([...stageScope]);
  const responseTest =
    responseScope === 'successful' ? (failed: boolean) => !failed
    : responseScope === 'failed' ? (failed: boolean) => failed
    : () => true;
  return { stages: stageScope, responses: responseScope, includes: (values, failed) => stageTest(values) && responseTest(failed) };
}

function parseStages(stages: unknown): RuleScope['stages'] {
  if (stages === undefined) return 'default';
  if (stages === 'any') return 'any';
  const list = typeof stages === 'string' ? [stages] : stages;
  if (!Array.isArray(list) || list.length === 0 || !list.every((stage) => typeof stage === 'string' && stage !== '')) {
    throw new RuleSyntaxError('stages must be "any" or a non-empty list of stage names');
  }
  return list as string[];
}
