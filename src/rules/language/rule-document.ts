import yaml from 'js-yaml';
import { RuleSyntaxError } from './rule-syntax-error.js';

/**
 * Reads a YAML rule document: either a list of rules or a map holding the list under `key`
 * (`rules:` for detections, `filters:` for filter rules). Returns the raw entries; the caller
 * compiles them.
 */
export function readRuleDocument(text: string, key: string): unknown[] {
  let document: unknown;
  try {
    document = yaml.load(text);
  } catch (error) {
    throw new RuleSyntaxError(`not valid YAML: ${(error as Error).message}`);
  }
  if (document === undefined || document === null) return [];
  if (Array.isArray(document)) return document;
  if (typeof document === 'object' && Array.isArray((document as Record<string, unknown>)[key])) {
    return (document as Record<string, unknown[]>)[key]!;
  }
  throw new RuleSyntaxError(`expected a list of rules or a map with a "${key}:" list`);
}
