import { ConfigError } from './config-error.js';
import { envName } from './config-values.js';
import { GIVEN_AS, type OptionSpec, type ParsedArgs } from './option-group.js';

/** Options by flag name, the union of the groups a command reads. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/**
 * Merges the command line (as yargs split it, untyped), the `KAF_*` environment and the defaults
 * into one set of raw values: a flag wins over its variable, an empty variable counts as unset,
 * and each value set by the user remembers how it was given so errors can name it.
 */
export function collectSettings(options: OptionSpecs, commandLine: Record<string, unknown>, env: NodeJS.ProcessEnv): ParsedArgs {
  const values: ParsedArgs = { ...commandLine };
  const givenAs: Record<string, string> = {};
  for (const [flag, spec] of Object.entries(options)) {
    const variable = envName(flag);
    const fromEnv = env[variable];
    if (commandLine[flag] !== undefined) {
      givenAs[flag] = `--${flag}`;
    } else if (fromEnv !== undefined && fromEnv !== '') {
      values[flag] = fromEnv;
      givenAs[flag] = variable;
    } else {
      values[flag] = spec.default;
    }
  }
  values[GIVEN_AS] = givenAs;
  return values;
}

/**
 * Runs `read` so that a ConfigError it throws names every option the way the user gave it: a
 * message that says `--kafka-brokers` (or `--kafka-acks` beside it) says `KAF_KAFKA_BROKERS` when
 * that variable set it. Readers can then write plain flag names and still point at the right place.
 */
export function namingSettingsAsGiven<T>(values: ParsedArgs, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const given = values[GIVEN_AS] ?? {};
    error.message = error.message.replace(/--([a-z0-9][a-z0-9-]*)/g, (text, flag: string) => given[flag] ?? text);
    throw error;
  }
}

/** The options the user set (from a flag or the environment), as opposed to defaults. */
export function givenOptions(argv: ParsedArgs): string[] {
  return Object.keys(argv[GIVEN_AS] ?? {});
}

/**
 * A `KAF_*` variable that sets no option of any command is a typo (`KAF_SINKK`) that would
 * otherwise leave a default in force unnoticed. Variables of another command's options are fine:
 * `checkpoints` runs in the agent's pod, with the agent's environment.
 */
export function rejectUnknownVariables(allOptions: Iterable<string>, env: NodeJS.ProcessEnv): void {
  const known = new Set([...allOptions].map(envName));
  const unknown = Object.keys(env)
    .filter((name) => name.startsWith('KAF_') && !known.has(name))
    .sort();
  if (unknown.length === 0) return;
  const name = unknown[0]!;
  const closest = [...known].map((candidate) => ({ candidate, distance: editDistance(name, candidate) })).sort((a, b) => a.distance - b.distance)[0];
  const hint = closest && closest.distance <= 2 ? ` (did you mean ${closest.candidate}?)` : '';
  throw new ConfigError(`${name} is not a setting${hint}`);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
