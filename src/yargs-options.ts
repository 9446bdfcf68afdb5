import yargs, { type Options } from 'yargs';
import { ConfigError } from './config-error.js';
import type { OptionSpec, ParsedArgs } from './option-group.js';
import { collectSettings, type OptionSpecs } from './settings-sources.js';

/**
 * The yargs definition of an option. To parse, every option is an untyped string with no
 * default and no choices: yargs' `boolean` and `number` types convert values ("yes" becomes
 * false, "10x" NaN) before the project's readers see them. The types, defaults and choices are
 * given to yargs only to render `--help` (`[number] [default: 2000]`).
 */
export function yargsOption(spec: OptionSpec, forHelp: boolean): Options {
  if (!forHelp) return { type: 'string', requiresArg: spec.kind !== 'boolean', describe: spec.describe };
  const type = spec.kind === 'boolean' ? 'boolean' : spec.kind === 'integer' ? 'number' : 'string';
  const shown = spec.kind === 'size' && spec.default !== undefined ? { defaultDescription: String(spec.default) } : {};
  return { type, describe: spec.describe, default: spec.default, ...shown, ...(spec.choices ? { choices: [...spec.choices] } : {}) };
}

export function yargsOptions(options: OptionSpecs, forHelp: boolean): Record<string, Options> {
  return Object.fromEntries(Object.entries(options).map(([flag, spec]) => [flag, yargsOption(spec, forHelp)]));
}

/**
 * Booleans are parsed as strings, so a bare `--redaction` becomes `--redaction=true` and
 * `--no-redaction` becomes `--redaction=false`; `--redaction=yes` reaches the reader as "yes".
 * A boolean never takes the next word as its value (`--json audit.log` keeps the file).
 */
export function spellOutBooleanFlags(args: readonly string[], booleanFlags: ReadonlySet<string>): string[] {
  const end = args.indexOf('--');
  return args.map((arg, index) => {
    if (end >= 0 && index >= end) return arg;
    if (!arg.startsWith('--') || arg.includes('=')) return arg;
    const name = arg.slice(2);
    if (booleanFlags.has(name)) return `${arg}=true`;
    if (name.startsWith('no-') && booleanFlags.has(name.slice(3))) return `--${name.slice(3)}=false`;
    return arg;
  });
}

/**
 * The values of one set of options from a command line and environment, parsed as the CLI
 * parses them (strict: an unknown flag is an error), for code and tests that build one piece.
 */
export function parseOptions(options: OptionSpecs, args: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedArgs {
  const booleans = new Set(Object.keys(options).filter((flag) => options[flag]!.kind === 'boolean'));
  const commandLine = yargs(spellOutBooleanFlags(args, booleans))
    .options(yargsOptions(options, false))
    .parserConfiguration(PARSER_CONFIGURATION)
    .strict()
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new ConfigError(message);
    })
    .parseSync();
  return collectSettings(options, commandLine, env);
}

/** Values stay strings (the readers convert them) and `--no-x` is only understood for booleans. */
export const PARSER_CONFIGURATION = { 'parse-numbers': false, 'parse-positional-numbers': false, 'boolean-negation': false } as const;
