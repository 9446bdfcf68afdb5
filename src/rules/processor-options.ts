import { readFileSync } from 'node:fs';
import { ConfigError } from '../config-error.js';
import { boolean, optionalString, stringList } from '../config-values.js';
import type { OptionGroup, ParsedArgs } from '../option-group.js';
import type { DetectionRule } from './detection/detection-rule.js';
import { parseFilterExpression, parseFilterRule, type FilterAction, type FilterRule } from './filter/filter-rule.js';
import { parseRedactionPath, type RedactionPath } from './redaction/redaction-path.js';
import { readRuleDocument } from './language/rule-document.js';
import { loadRuleSet } from './detection/rule-set.js';

/** Redaction, filtering and detection settings, validated and compiled at start-up. */
export interface ProcessorConfig {
  /** The built-in secret redaction (Secret data, TokenReview/TokenRequest tokens). */
  redaction: boolean;
  /** Extra paths to redact (`--redact`), applied even when the built-in redaction is off. */
  redactPaths: RedactionPath[];
  /** In order: --filter-file rules, then --filter-keep, then --filter-drop. */
  filters: FilterRule[];
  detections: boolean;
  rules: DetectionRule[];
}

export const processorOptions: OptionGroup<ProcessorConfig> = {
  title: 'Redaction, filtering and detections:',
  options: {
    redaction: {
      kind: 'boolean',
      default: true,
      describe:
        'Replace Secret data/stringData (also in Lists, patches and last-applied-configuration), TokenReview and TokenRequest tokens with [REDACTED] before shipping; --no-redaction turns it off',
    },
    redact: {
      kind: 'string',
      describe:
        'More values to redact, comma-separated or repeated: [Kind:|resource:]path, e.g. "ConfigMap:data.*" (every ConfigMap object in request/response bodies, list items included), "configmaps:data.*" (bodies of requests on configmaps, patches included) or "requestObject.spec.password" (from the event root)',
    },
    'filter-drop': {
      kind: 'string',
      describe:
        'Drop events matching all terms, e.g. "verb=get,list,watch user=system:node:*" or "code>=500"; separate several rules with ";" or repeat the flag',
    },
    'filter-keep': {
      kind: 'string',
      describe: 'Ship events matching all terms even if a --filter-drop rule matches them (same syntax)',
    },
    'filter-file': {
      kind: 'string',
      describe: 'YAML file of ordered filter rules ({filters: [{name, action: drop|keep, match, any, unless}]}); checked before the flags',
    },
    detections: {
      kind: 'boolean',
      default: true,
      describe: 'Run the detection rules and annotate matched events with kube-audit-forwarder.io/detections',
    },
    'rules-file': {
      kind: 'string',
      describe: 'YAML file(s) of extra detection rules, comma-separated; a rule with a built-in id replaces the built-in',
    },
    'disable-rule': {
      kind: 'string',
      describe: 'Detection rule ids to switch off, comma-separated, globs allowed ("*" turns off every rule, those of --rules-file included)',
    },
    // Declared here, beside the detections they route; the Kafka and forward sinks read them.
    'alerts-kafka-topic': {
      kind: 'string',
      sink: 'kafka',
      describe: 'Kafka sink: also produce events that matched a detection to this topic',
    },
    'alerts-forward-tag': {
      kind: 'string',
      sink: 'forward',
      describe: 'Forward sink: also send events that matched a detection with this tag',
    },
  },
  read(argv) {
    const detections = boolean(argv, 'detections');
    return {
      redaction: boolean(argv, 'redaction'),
      redactPaths: stringList(argv, 'redact').map((text) => compileOrFail('redact', () => parseRedactionPath(text))),
      filters: [...readFilterFile(optionalString(argv, 'filter-file')), ...filterFlag(argv, 'filter-keep', 'keep'), ...filterFlag(argv, 'filter-drop', 'drop')],
      detections,
      rules: detections ? loadRuleSet({ rulesFiles: stringList(argv, 'rules-file'), disabledRules: stringList(argv, 'disable-rule') }) : [],
    };
  },
};

function compileOrFail<T>(flag: string, compile: () => T): T {
  try {
    return compile();
  } catch (error) {
    throw new ConfigError(`--${flag}: ${(error as Error).message}`);
  }
}

/** Filter expressions contain commas (`verb=get,list`), so rules are split on ";" only. */
function filterFlag(argv: ParsedArgs, flag: string, action: FilterAction): FilterRule[] {
  const raw = argv[flag];
  const values = Array.isArray(raw) ? raw : raw === undefined || raw === '' ? [] : [raw];
  return values
    .flatMap((value) => String(value).split(';'))
    .filter((expression) => expression.trim().length > 0)
    .map((expression) => compileOrFail(flag, () => parseFilterExpression(expression, action)));
}

function readFilterFile(file: string | undefined): FilterRule[] {
  if (file === undefined) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`--filter-file: cannot read ${file}: ${(error as Error).message}`);
  }
  return compileOrFail(`filter-file ${file}`, () => readRuleDocument(text, 'filters').map(parseFilterRule));
}
