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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
