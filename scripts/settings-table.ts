import { runOptionGroups } from '../src/run-option-groups.js';
import { envName } from '../src/config-values.js';

/**
 * Prints every `run` setting as Markdown tables (flag, environment variable, default, meaning),
 * grouped as in `--help`. The README's settings section is this output; a test keeps them equal.
 */
export function settingsMarkdown(): string {
  const sections: string[] = [];
  for (const group of runOptionGroups()) {
    const rows = Object.entries(group.options).map(([flag, option]) => {
      const fallback = option.default === undefined ? '' : `\`${String(option.default)}\``;
      const choices = option.choices ? ` (${(option.choices as string[]).join(' \\| ')})` : '';
      const text = String(option.describe ?? '').replace(/\|/g, '\\|');
      return `| \`--${flag}\` | \`${envName(flag)}\` | ${fallback} | ${text}${choices} |`;
    });
    sections.push(`#### ${group.title.replace(/:$/, '')}\n\n| Flag | Environment | Default | Meaning |\n|---|---|---|---|\n${rows.join('\n')}`);
  }
  return sections.join('\n\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${settingsMarkdown()}\n`);
