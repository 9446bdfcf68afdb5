import { escapeRegExp } from '../../escape-reg-exp.js';
/**
 * Shell-style wildcard patterns for rule and filter values: `*` matches any run of characters
 * (including `/` and `:`, so `system:serviceaccount:*` covers every service account), `?` one
 * character, and a backslash makes the next character literal. Matching is case-sensitive,
 * as Kubernetes names are.
 */
export type StringMatcher = (text: string) => boolean;

export function isGlob(pattern: string): boolean {
  return /[*?\\]/.test(pattern);
}

export function compileGlob(pattern: string): StringMatcher {
  if (!isGlob(pattern)) return (text) => text === pattern;
  if (!/[?\\]/.test(pattern)) return starsOnly(pattern.split('*'));
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index]!;
    if (char === '\\' && index + 1 < pattern.length) {
      index += 1;
      source += escapeRegExp(pattern[index]!);
    } else if (char === '*') {
      source += '[\\s\\S]*';
    } else if (char === '?') {
      source += '[\\s\\S]';
    } else {
      source += escapeRegExp(char);
    }
  }
  const regExp = new RegExp(`^${source}$`);
  return (text) => regExp.test(text);
}

/**
 * A pattern whose only wildcard is `*` (`system:*`, `*.gcr.io/*`), matched with string
 * searches rather than a regular expression, which tries every length of each `*` run: the text
 * starts with the first part and ends with the last, and the parts between occur in order, each
 * at its leftmost place after the one before (any later place leaves less room for the rest).
 */
function starsOnly(parts: readonly string[]): StringMatcher {
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((part) => part !== '');
  const fixed = first.length + last.length;
  return (text) => {
    if (text.length < fixed || !text.startsWith(first) || !text.endsWith(last)) return false;
    let from = first.length;
    const until = text.length - last.length;
    for (const part of middle) {
      const at = text.indexOf(part, from);
      if (at < 0 || at + part.length > until) return false;
      from = at + part.length;
    }
    return true;
  };
}

/**
 * The literal stretches of a pattern, in order, each with whether it is anchored to the start
 * or the end of the text (`system:*` gives `system:` at the start, `*.gcr.io/*` gives `.gcr.io/` anywhere).
 * Every text the pattern matches contains each of them: what a byte-level pre-check may look for.
 */
export function literalRunsOf(pattern: string): { text: string; atStart: boolean; atEnd: boolean }[] {
  const runs: { text: string; atStart: boolean; atEnd: boolean }[] = [];
  let run = '';
  let runStart = 0;
  const close = (atEnd: boolean): void => {
    if (run !== '') runs.push({ text: run, atStart: runStart === 0, atEnd });
    run = '';
  };
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index]!;
    if (char === '\\' && index + 1 < pattern.length) {
      if (run === '') runStart = index;
      index += 1;
      run += pattern[index]!;
    } else if (char === '*' || char === '?') {
      close(false);
      runStart = index + 1;
    } else {
      if (run === '') runStart = index;
      run += char;
    }
  }
  close(true);
  return runs;
}
