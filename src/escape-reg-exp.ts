/**
 * `text` as a regular expression that matches it literally: every character with a meaning in
 * a pattern (and `/`) escaped, in a form that is valid with and without the `u` flag.
 */
export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}
