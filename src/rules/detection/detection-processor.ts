import { Counter, type Registry } from 'prom-client';
import { startAtZero } from '../../observability/metrics.js';
import type { AuditEvent } from '../../audit/audit-event.js';
import type { AuditRecord, ScannedLine } from '../../pipeline/audit-record.js';
import { eventTimeOf } from '../../audit/event-fields.js';
import type { Processor, ProcessorVerdict } from '../../pipeline/processor.js';
import { addAnnotations } from '../../audit/event-annotation.js';
import type { DetectionListener } from '../../alerts/detection-listener.js';
import { CompiledMatcher, type MatchInput } from './compiled-matcher.js';
import { groupKeyOf, type DetectionRule } from './detection-rule.js';
import { ThresholdWindow } from './threshold-window.js';

/** The annotation a matched event is shipped with: the ids of the rules it matched, comma-separated. */
export const DETECTIONS_ANNOTATION = 'kube-audit-forwarder.io/detections';

/**
 * Beside it, what a SIEM shows a responder without looking the rules up: a JSON array with, per
 * matched rule, its id, severity, MITRE ATT&CK technique ids, description and remediation hint.
 */
export const DETECTION_DETAILS_ANNOTATION = 'kube-audit-forwarder.io/detection-details';

const NO_IDS: readonly string[] = Object.freeze([]);

export interface DetectionDetails {
  rule: string;
  severity: string;
  mitre: readonly string[];
  description: string;
  remediation?: string;
}

export function detailsOf(rule: DetectionRule): DetectionDetails {
  const details: DetectionDetails = { rule: rule.id, severity: rule.severity, mitre: rule.mitre, description: rule.description };
  if (rule.remediation !== undefined) details.remediation = rule.remediation;
  return details;
}

/**
 * Runs the detection rules, compiled into an indexed matcher, on every event. A matched event
 * keeps its bytes except for one spliced-in annotation listing the rule ids, and carries the ids
 * in `record.detections` so a sink can also route it to an alerts topic or tag. Events never get
 * dropped here.
 *
 * It decides most events from the line's bytes and reads the rest lazily (only the fields its
 * candidate rules look at are parsed), so lines need not be parsed whole up front for it.
 */
export class DetectionProcessor implements Processor {
  readonly name = 'detections';
  readonly readsEveryEvent = false;
  private readonly windows = new Map<string, ThresholdWindow>();
  private readonly matcher: CompiledMatcher;
  private readonly rulesById: ReadonlyMap<string, DetectionRule>;
  private readonly matched: Counter<'rule' | 'severity'>;

  constructor(
    rules: readonly DetectionRule[],
    registry: Registry,
    private readonly listener?: DetectionListener,
  ) {
    this.matched = new Counter({
      name: 'kube_audit_forwarder_detections_total',
      help: 'Events that matched a detection rule, by rule id and severity',
      labelNames: ['rule', 'severity'],
      registers: [registry],
    });
    this.matcher = new CompiledMatcher(rules);
    this.rulesById = new Map(rules.map((rule) => [rule.id, rule]));
    startAtZero(this.matched, rules.map((rule) => ({ rule: rule.id, severity: rule.severity })));
    for (const rule of rules) {
      if (rule.threshold) this.windows.set(rule.id, new ThresholdWindow(rule.threshold.count, rule.threshold.windowMs));
    }
  }

  process(record: AuditRecord): ProcessorVerdict {
    const ids = this.matchedIds(record, record.scannedLine?.());
    if (ids.length > 0) {
      addAnnotations(record, {
        [DETECTIONS_ANNOTATION]: ids.join(','),
        [DETECTION_DETAILS_ANNOTATION]: JSON.stringify(ids.map((id) => detailsOf(this.rulesById.get(id)!))),
      });
      record.detections = ids;
    }
    return 'keep';
  }

  /** The ids of the rules the event matches, updating threshold windows and counters. */
  evaluate(event: AuditEvent): readonly string[] {
    return this.matchedIds({ event });
  }

  /**
   * `line` (the line's bytes and members) lets the matcher decide most events from the bytes;
   * the record's `event` (parsed lazily) is read only for the rules that get past that.
   */
  private matchedIds(input: MatchInput, line?: ScannedLine): readonly string[] {
    const rules = this.matcher.match(input, line);
    // Most lines match nothing: no list of their own.
    if (rules.length === 0) return NO_IDS;
    const ids: string[] = [];
    for (let index = 0; index < rules.length; index += 1) {
      const rule = rules[index]!;
      const event = input.event;
      if (rule.threshold && !this.windows.get(rule.id)!.record(groupKeyOf(rule.threshold, event), eventMillis(event))) {
        continue;
      }
      ids.push(rule.id);
      this.matched.inc({ rule: rule.id, severity: rule.severity });
      this.listener?.onMatch(rule, event);
    }
    return ids;
  }
}

/**
 * When the event happened, for threshold windows: the stage timestamp, else the legacy v1beta1
 * `timestamp` (seconds precision), else now (events without any time still count, in arrival order).
 */
function eventMillis(event: AuditEvent): number {
  const time = eventTimeOf(event);
  if (time) return time.seconds * 1000 + Math.floor(time.nanoseconds / 1e6);
  const legacy = typeof event.timestamp === 'string' ? Date.parse(event.timestamp) : Number.NaN;
  return Number.isNaN(legacy) ? Date.now() : legacy;
}
