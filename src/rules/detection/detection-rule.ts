import type { AuditEvent } from '../../audit/audit-event.js';
import { compileEventField, type EventFieldReader } from '../language/event-field.js';
import { compileMatcher, matcherFields, type EventPredicate } from '../language/event-matcher.js';
import { RuleSyntaxError } from '../language/rule-syntax-error.js';
import { isFailedResponse, parseRuleScope, stageValuesOf, type RuleScope } from './rule-scope.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * One detection, compiled from its YAML form:
 *
 * ```yaml
 * - id: pod-exec                      # lower-case letters, digits and dashes; unique
 *   description: Someone opened a shell or attached to a container
 *   severity: high                    # critical | high | medium | low | info
 *   mitre: [T1609]                    # optional: MITRE ATT&CK technique ids
 *   remediation: Check who opened it  # optional: a hint for the responder
 *   stages: any                       # optional, see rule-scope.ts: default every stage but
 *   responses: any                    #   RequestReceived, and only requests not answered ≥ 400
 *   match: {resource: pods, subresource: [exec, attach]}
 *   unless: [{user: "system:*"}]      # and `any:`, see event-matcher.ts
 *   threshold:                        # optional: fire only when `count` matching events
 *     count: 10                       #   with the same groupBy values fall within
 *     windowSeconds: 60               #   windowSeconds of each other (event time)
 *     groupBy: [user.username]
 * ```
 */
export interface DetectionRule {
  readonly id: string;
  readonly description: string;
  readonly severity: Severity;
  /** MITRE ATT&CK technique ids (`T1609`, `T1098.006`), as Falco and Sigma tag their rules. */
  readonly mitre: readonly string[];
  /** What a responder should check or change, in a sentence or two. */
  readonly remediation?: string;
  readonly builtin: boolean;
  /** Which events the rule looks at: the engine's defaults or the rule's `stages:`/`responses:`. */
  readonly scope: RuleScope;
  /** The rule's own conditions (`match`, `any`, `unless`), without the scope. */
  readonly conditions: EventPredicate;
  /** The whole rule, scope and conditions, evaluated on one event as written (no index). */
  readonly matches: EventPredicate;
  /** The `match`, `any` and `unless` sections as written, from which the compiled matcher derives its index and guards. */
  readonly source: { readonly match?: unknown; readonly any?: unknown; readonly unless?: unknown };
  /** The fields its conditions read, as written (paths or aliases). */
  readonly fields: readonly string[];
  readonly threshold?: ThresholdSpec;
}

export interface ThresholdSpec {
  readonly count: number;
  readonly windowMs: number;
  /** The values that together make the group key (`user.username` → one window per user). */
  readonly groupBy: readonly EventFieldReader[];
}

const RULE_KEYS = new Set(['id', 'description', 'severity', 'mitre', 'remediation', 'stages', 'responses', 'match', 'any', 'unless', 'threshold']);
const ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

export function parseDetectionRule(raw: unknown, builtin: boolean): DetectionRule {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new RuleSyntaxError('a rule must be a map');
  const spec = raw as Record<string, unknown>;
  const id = spec.id;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw new RuleSyntaxError(`rule id must be lower-case letters, digits and dashes, got ${JSON.stringify(id)}`);
  }
  try {
    const unknownKeys = Object.keys(spec).filter((key) => !RULE_KEYS.has(key));
    if (unknownKeys.length > 0) throw new RuleSyntaxError(`unknown key(s) ${unknownKeys.join(', ')}`);
    const severity = spec.severity ?? 'medium';
    if (!(SEVERITIES as readonly unknown[]).includes(severity)) {
      throw new RuleSyntaxError(`severity must be one of ${SEVERITIES.join(', ')}`);
    }
    const conditions = compileMatcher(spec);
    const scope = parseRuleScope(spec.stages, spec.responses, conditionSets(spec));
    return {
      id,
      description: typeof spec.description === 'string' ? spec.description : id,
      severity: severity as Severity,
      mitre: parseMitre(spec.mitre),
      ...(spec.remediation === undefined ? {} : { remediation: parseRemediation(spec.remediation) }),
      builtin,
      scope,
      conditions,
      matches: (event) => scope.includes(stageValuesOf(event), isFailedResponse(event)) && conditions(event),
      source: { match: spec.match, any: spec.any, unless: spec.unless },
      fields: matcherFields(spec),
      ...(spec.threshold === undefined ? {} : { threshold: parseThreshold(spec.threshold) }),
    };
  } catch (error) {
    throw new RuleSyntaxError(`rule ${id}: ${(error as Error).message}`);
  }
}

const TECHNIQUE_ID = /^T\d{4}(\.\d{3})?$/;

function parseMitre(raw: unknown): string[] {
  if (raw === undefined) return [];
  const ids = Array.isArray(raw) ? raw : [raw];
  if (!ids.every((id) => typeof id === 'string' && TECHNIQUE_ID.test(id))) {
    throw new RuleSyntaxError(`mitre must be ATT&CK technique ids like T1609 or T1098.006, got ${JSON.stringify(raw)}`);
  }
  return ids as string[];
}

function parseRemediation(raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new RuleSyntaxError('remediation must be a non-empty string');
  return raw;
}

/** The `match` map and the `any` branches: where a rule asks for what it needs. */
function conditionSets(spec: Record<string, unknown>): Record<string, unknown>[] {
  const sets = [spec.match, ...(Array.isArray(spec.any) ? spec.any : [])];
  return sets.filter((set): set is Record<string, unknown> => set !== null && typeof set === 'object' && !Array.isArray(set));
}

function parseThreshold(raw: unknown): ThresholdSpec {
  if (raw === null || typeof raw !== 'object') throw new RuleSyntaxError('threshold must be a map');
  const { count, windowSeconds, groupBy } = raw as Record<string, unknown>;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw new RuleSyntaxError('threshold.count must be a positive integer');
  }
  if (typeof windowSeconds !== 'number' || !(windowSeconds > 0)) {
    throw new RuleSyntaxError('threshold.windowSeconds must be a positive number');
  }
  const fields = groupBy === undefined ? [] : Array.isArray(groupBy) ? groupBy : [groupBy];
  if (!fields.every((field): field is string => typeof field === 'string')) {
    throw new RuleSyntaxError('threshold.groupBy must be a field or a list of fields');
  }
  return { count, windowMs: windowSeconds * 1000, groupBy: fields.map((field) => compileEventField(field)) };
}

/** The values that identify an event's group for a threshold rule, as one string key. */
export function groupKeyOf(threshold: ThresholdSpec, event: AuditEvent): string {
  return JSON.stringify(threshold.groupBy.map((read) => read(event)));
}
