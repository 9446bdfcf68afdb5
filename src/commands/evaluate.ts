import { constants, createReadStream } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Registry } from 'prom-client';
import { ConfigError } from '../config-error.js';
import { boolean, oneOf } from '../config-values.js';
import type { OptionSpec, ParsedArgs } from '../option-group.js';
import type { AuditEvent } from '../audit/audit-event.js';
import { auditIdOf, namespaceOf, resourceOf, stringField, subresourceOf, usernameOf, verbOf } from '../audit/event-fields.js';
import { DetectionProcessor, detailsOf } from '../rules/detection/detection-processor.js';
import type { DetectionRule } from '../rules/detection/detection-rule.js';
import type { FilterRule } from '../rules/filter/filter-rule.js';
import { ruleFieldWarnings } from '../rules/language/rule-field-check.js';
import { processorOptions } from '../rules/processor-options.js';

/**
 * `kube-audit-forwarder evaluate <files…>`: runs the filter and detection rules over audit events
 * in files and prints what matched, to try rules without a cluster. Files may hold one event per
 * line (the log backend's format) or one JSON document: an Event, a webhook EventList, or an
 * Event Hubs `{"records": [...]}` export from AKS.
 *
 * Its options are the rule and filter flags of `run`, plus output choices.
 */
export const evaluateOptions: Record<string, OptionSpec> = {
  'rules-file': processorOptions.options['rules-file']!,
  'disable-rule': processorOptions.options['disable-rule']!,
  'filter-file': processorOptions.options['filter-file']!,
  'filter-keep': processorOptions.options['filter-keep']!,
  'filter-drop': processorOptions.options['filter-drop']!,
  format: {
    kind: 'string',
    choices: ['table', 'json'],
    default: 'table',
    describe: 'table: aligned columns and counts per rule; json: one JSON object per matched event (rules with severity, MITRE ids, description, remediation)',
  },
  json: { kind: 'boolean', default: false, describe: 'the same as --format json' },
  'list-rules': { kind: 'boolean', default: false, describe: 'print the active rules (id, severity, MITRE ids, origin, description) and exit; JSON lines with --format json' },
};

/** Runs the command; returns the exit code. Bad rules throw ConfigError (exit 2 in the CLI). */
export async function runEvaluate(argv: ParsedArgs, out: (text: string) => void, warn: (text: string) => void = () => undefined): Promise<number> {
  const config = processorOptions.read({ ...argv, detections: true });
  // On stderr, so that the table or the JSON lines stay as they are.
  for (const warning of ruleFieldWarnings(config)) warn(`warning: ${warning}`);
  const json = boolean(argv, 'json') || oneOf(argv, 'format', ['table', 'json']) === 'json';
  if (boolean(argv, 'list-rules')) {
    for (const rule of config.rules) {
      if (json) out(JSON.stringify({ ...detailsOf(rule), builtin: rule.builtin }));
      else out(`${rule.id.padEnd(40)} ${rule.severity.padEnd(8)} ${rule.mitre.join(',').padEnd(24)} ${rule.builtin ? 'built-in' : 'custom  '} ${rule.description}`);
    }
    return 0;
  }
  const files = ((argv.files as unknown[] | undefined) ?? []).map(String);
  if (files.length === 0) throw new ConfigError('evaluate needs at least one file (or --list-rules)');
  for (const file of files) await mustBeReadableFile(file);
  const summary = await evaluateFiles(files, config.rules, config.filters);
  const rulesById = new Map(config.rules.map((rule) => [rule.id, rule]));
  if (json) {
    for (const match of summary.matches) {
      out(
        JSON.stringify({
          file: match.file,
          line: match.line,
          auditID: auditIdOf(match.event),
          user: usernameOf(match.event),
          verb: verbOf(match.event),
          object: objectOf(match.event),
          rules: match.rules,
          detections: match.rules.map((id) => detailsOf(rulesById.get(id)!)),
        }),
      );
    }
  } else {
    out(formatEvaluation(summary, rulesById));
  }
  return 0;
}

/** A file argument that cannot be read is a mistake on the command line: one line, exit 2. */
async function mustBeReadableFile(file: string): Promise<void> {
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(`evaluate: ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`, false);
  });
  if (info.isDirectory()) throw new ConfigError(`evaluate: ${file} is a directory; give the files in it (e.g. ${file}/*.json)`, false);
  await access(file, constants.R_OK).catch((error: Error) => {
    throw new ConfigError(`evaluate: ${file}: ${error.message}`, false);
  });
}

export interface EvaluationMatch {
  file: string;
  /** 1-based line of the event (the document's first line for single-document files). */
  line: number;
  rules: readonly string[];
  event: AuditEvent;
}

export interface EvaluationSummary {
  events: number;
  /** Lines or items that were not audit events (blank lines excluded). */
  skipped: number;
  /** Events a filter rule would drop; they are not checked against detections, as in the agent. */
  filteredOut: number;
  matches: EvaluationMatch[];
  perRule: Map<string, number>;
}

export async function evaluateFiles(
  files: readonly string[],
  rules: readonly DetectionRule[],
  filters: readonly FilterRule[],
): Promise<EvaluationSummary> {
  const detector = new DetectionProcessor(rules, new Registry());
  const summary: EvaluationSummary = { events: 0, skipped: 0, filteredOut: 0, matches: [], perRule: new Map() };
  for (const rule of rules) summary.perRule.set(rule.id, 0);
  for (const file of files) {
    for await (const entry of readEvents(file)) {
      if (entry.event === undefined) {
        summary.skipped += 1;
        continue;
      }
      summary.events += 1;
      if (filters.find((filter) => filter.matches(entry.event!))?.action === 'drop') {
        summary.filteredOut += 1;
        continue;
      }
      const matched = detector.evaluate(entry.event);
      if (matched.length === 0) continue;
      summary.matches.push({ file, line: entry.line, rules: matched, event: entry.event });
      for (const id of matched) summary.perRule.set(id, (summary.perRule.get(id) ?? 0) + 1);
    }
  }
  return summary;
}

export interface FileEntry {
  line: number;
  event?: AuditEvent;
}

/** Single-document files larger than this are not parsed whole (they are read line by line). */
const WHOLE_DOCUMENT_LIMIT = 64 * 1024 * 1024;

/** The audit events of a file of JSON lines or of one JSON document (Event, EventList, AKS export), with their line. */
export async function* readEvents(file: string): AsyncGenerator<FileEntry> {
  const { size } = await stat(file);
  if (size <= WHOLE_DOCUMENT_LIMIT) {
    // A file that parses as one JSON value is one document (a pretty-printed Event, an EventList);
    // anything else is read as JSON lines.
    const whole = parseJson((await readFile(file, 'utf8')).replace(/^\uFEFF/, ''));
    if (whole !== undefined) {
      for (const event of unwrap(whole)) yield { line: 1, ...(isEvent(event) ? { event } : {}) };
      return;
    }
  }
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  for await (const text of lines) {
    number += 1;
    if (text.trim() === '') continue;
    const parsed = parseJson(text.replace(/^\uFEFF/, ''));
    for (const event of parsed === undefined ? [undefined] : unwrap(parsed)) {
      yield { line: number, ...(isEvent(event) ? { event } : {}) };
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** EventList items, AKS `records[].properties.log` (a string or an object), or the value itself. */
function unwrap(value: unknown): unknown[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [value];
  const object = value as Record<string, unknown>;
  if (Array.isArray(object.items)) return object.items;
  if (Array.isArray(object.records)) {
    return object.records.flatMap((record) => {
      const log = (record as { properties?: { log?: unknown } } | null)?.properties?.log;
      return unwrap(typeof log === 'string' ? parseJson(log) : log);
    });
  }
  return [value];
}

function isEvent(value: unknown): value is AuditEvent {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as AuditEvent).verb === 'string';
}

/** The matches as an aligned text table, then one line per rule with its count and remediation hint. */
export function formatEvaluation(summary: EvaluationSummary, rules: ReadonlyMap<string, DetectionRule>): string {
  const header = ['FILE:LINE', 'RULE', 'SEVERITY', 'MITRE', 'USER', 'VERB', 'OBJECT', 'AUDIT ID'];
  const rows = summary.matches.flatMap((match) =>
    match.rules.map((id) => [
      `${match.file}:${match.line}`,
      id,
      rules.get(id)?.severity ?? '',
      rules.get(id)?.mitre.join(',') ?? '',
      usernameOf(match.event) ?? '',
      verbOf(match.event) ?? '',
      objectOf(match.event),
      auditIdOf(match.event) ?? '',
    ]),
  );
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  const counts = [...summary.perRule]
    .filter(([, count]) => count > 0)
    .map(([id, count]) => `  ${id}: ${count}${rules.get(id)?.remediation ? ` (${rules.get(id)!.remediation})` : ''}`);
  return [
    ...(rows.length > 0 ? [line(header), ...rows.map(line), ''] : []),
    `${summary.events} events, ${summary.matches.length} matched, ${summary.filteredOut} filtered out, ${summary.skipped} not audit events`,
    ...counts,
  ].join('\n');
}

function objectOf(event: AuditEvent): string {
  const resource = resourceOf(event);
  if (resource === undefined) return stringField(event.requestURI) ?? '';
  const subresource = subresourceOf(event);
  const name = stringField((event.objectRef as { name?: unknown }).name);
  const namespace = namespaceOf(event);
  return `${resource}${subresource ? `/${subresource}` : ''}${namespace ? ` ${namespace}/` : ' '}${name ?? '*'}`;
}
