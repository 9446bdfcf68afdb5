/**
 * What an option's value must look like. The project parses every value itself (yargs only
 * splits the command line), so a boolean, number, size or choice means the same from a flag and
 * from its `KAF_*` variable, and anything else is an error naming the option as it was given.
 */
export type OptionKind = 'boolean' | 'integer' | 'size' | 'choice' | 'string';

/** One option: its kind, its `--help` text and its default (typed: 2000, true, '1MiB'). */
export interface OptionSpec {
  readonly kind: OptionKind;
  readonly describe: string;
  readonly default?: string | number | boolean;
  /** The accepted values of a `choice` option. */
  readonly choices?: readonly string[];
  /** Only the sink of this name reads the option; set with another sink, it is warned about. */
  readonly sink?: string;
}

/**
 * A set of related CLI options (flag name → definition) plus the function that turns the values
 * into a typed, validated config. Each sink owns its group, so adding a sink never touches the
 * core options. Every flag is also read from `KAF_<UPPER_SNAKE_FLAG>`.
 */
export interface OptionGroup<T> {
  /** Heading under which `--help` lists the options. */
  readonly title: string;
  readonly options: Record<string, OptionSpec>;
  /** Validates and converts; throws ConfigError naming the option on bad input. */
  read(argv: ParsedArgs): T;
}

/** How each option was given, for messages: `--batch-max-events` or `KAF_BATCH_MAX_EVENTS`. */
export const GIVEN_AS: unique symbol = Symbol('option names as given');

/**
 * The raw values of the options by flag name (kebab-case), defaults applied, and how each one
 * the user set was given (flag or environment variable).
 */
export type ParsedArgs = Record<string, unknown> & { [GIVEN_AS]?: Readonly<Record<string, string>> };
