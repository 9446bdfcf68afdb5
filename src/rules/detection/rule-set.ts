import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../config-error.js';
import { parseDetectionRule, type DetectionRule } from './detection-rule.js';
import { compileGlob } from '../language/glob.js';
import { readRuleDocument } from '../language/rule-document.js';

export interface RuleSetOptions {
  /** YAML files of user rules; a rule with a built-in's id replaces that built-in. */
  readonly rulesFiles: readonly string[];
  /** Ids (globs allowed: `secrets-*`, `*`) of rules to switch off. */
  readonly disabledRules: readonly string[];
}

/**
 * The built-in rules' file: data shipped beside this module (the build copies it into dist), in
 * the format users write, so it can be read, copied and adapted like any rules file.
 */
export const BUILTIN_RULES_FILE = fileURLToPath(new URL('./builtin-rules.yaml', import.meta.url));

/** The built-in rules, compiled. */
export function builtinRules(): DetectionRule[] {
  return readRuleDocument(readFileSync(BUILTIN_RULES_FILE, 'utf8'), 'rules').map((raw) => parseDetectionRule(raw, true));
}

/**
 * The detections to run: the built-ins, overridden or extended by the users' files, minus the
 * disabled ones. Every problem (unreadable file, bad rule, duplicate id, a --disable-rule that
 * names no rule) is a ConfigError, so a typo never silently turns a detection off or on.
 */
export function loadRuleSet(options: RuleSetOptions): DetectionRule[] {
  const rules = new Map<string, DetectionRule>();
  for (const rule of builtinRules()) rules.set(rule.id, rule);
  for (const file of options.rulesFiles) {
    const fromFile = new Set<string>();
    for (const rule of readRulesFile(file)) {
      if (fromFile.has(rule.id)) throw new ConfigError(`--rules-file ${file}: rule id "${rule.id}" appears twice`);
      fromFile.add(rule.id);
      rules.set(rule.id, rule);
    }
  }
  for (const pattern of options.disabledRules) {
    const matches = compileGlob(pattern);
    const ids = [...rules.keys()].filter((id) => matches(id));
    if (ids.length === 0) {
      throw new ConfigError(`--disable-rule "${pattern}" names no rule (known: ${[...rules.keys()].join(', ')})`);
    }
    for (const id of ids) rules.delete(id);
  }
  return [...rules.values()];
}

function readRulesFile(file: string): DetectionRule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`--rules-file: cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return readRuleDocument(text, 'rules').map((raw) => parseDetectionRule(raw, false));
  } catch (error) {
    throw new ConfigError(`--rules-file ${file}: ${(error as Error).message}`);
  }
}
