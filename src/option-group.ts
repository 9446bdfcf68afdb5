import type { Options } from 'yargs';

/**
 * A set of related CLI options (flag name → yargs definition) plus the function that turns the
 * parsed values into a typed, validated config. Each sink owns its group, so adding a sink never
 * touches the core options. Every flag is also read from `KAF_<UPPER_SNAKE_FLAG>`.
 */
export interface OptionGroup<T> {
  /** Heading under which `--help` lists the options. */
  readonly title: string;
  readonly options: Record<string, Options>;
  /** Validates and converts; throws ConfigError naming the option on bad input. */
  read(argv: ParsedArgs): T;
}

/** yargs' parsed arguments: flag names as given (kebab-case) and camelCase aliases. */
export type ParsedArgs = Record<string, unknown>;
