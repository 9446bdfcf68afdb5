import path from 'node:path';
import yargs, { type Argv } from 'yargs';
import { evaluateOptions } from './commands/evaluate.js';
import { ConfigError } from './config-error.js';
import { boolean } from './config-values.js';
import { coreOptions, readAgentConfig, type AgentConfig } from './config.js';
import type { ParsedArgs } from './option-group.js';
import { runOptionGroups } from './run-option-groups.js';
import { collectSettings, namingSettingsAsGiven, rejectUnknownVariables, type OptionSpecs } from './settings-sources.js';
import { PARSER_CONFIGURATION, spellOutBooleanFlags, yargsOptions } from './yargs-options.js';

/** What the command line asks for, validated; undefined when it only asked for --help or --version. */
export type Invocation =
  | { command: 'run'; config: AgentConfig }
  | { command: 'checkpoints'; checkpointDir: string; logPath: string; json: boolean }
  | { command: 'evaluate'; settings: ParsedArgs };

const checkpointsOptions: OptionSpecs = {
  'checkpoint-dir': coreOptions.options['checkpoint-dir']!,
  // The files on disk are matched to the stored positions: the same log as `run` reads.
  path: coreOptions.options.path!,
  json: { kind: 'boolean', default: false, describe: 'print JSON instead of a table' },
};

function runOptions(): OptionSpecs {
  return Object.assign({}, ...runOptionGroups().map((group) => group.options)) as OptionSpecs;
}

/** Every option of every command: a `KAF_*` variable naming none of them is a typo. */
export function allOptions(): OptionSpecs {
  return { ...runOptions(), ...checkpointsOptions, ...evaluateOptions };
}

/**
 * The examples of `--help`, one command each, broken with `\` so that no line is wider than 80
 * columns: yargs' own example column is half the screen and wraps commands mid-word.
 */
export const HELP_EXAMPLES: ReadonlyArray<{ text: string; command: string }> = [
  { text: 'ship to Kafka', command: '$0 run --path /var/log/kubernetes/audit/audit.log \\\n      --sink kafka --kafka-brokers kafka:9092' },
  { text: 'ship to Fluentd, configured from the environment', command: 'KAF_SINK=forward KAF_FORWARD_SERVERS=fluentd:24224 $0' },
  {
    text: 'show positions and lag of every file of the log',
    command: '$0 checkpoints \\\n      --checkpoint-dir /var/lib/kube-audit-forwarder \\\n      --path /var/log/kubernetes/audit/audit.log',
  },
  { text: 'try detection rules on a saved audit log', command: '$0 evaluate audit.log --rules-file my-rules.yaml' },
];

function examplesEpilogue(): string {
  return ['Examples:', ...HELP_EXAMPLES.flatMap((example) => [`  # ${example.text}`, `  ${example.command}`, ''])].join('\n');
}

/**
 * `run` is also the default command. yargs renders the whole help text of a command that was
 * named explicitly before running it (wrapping ~100 options: 70 ms of every start-up, measured
 * with --cpu-prof), so an explicit `run` is dropped and the default command runs the same handler
 * with the same options. Kept when help is asked for, so `run --help` prints the run command's help.
 */
function argumentsForYargs(args: readonly string[], wantsHelp: boolean): string[] {
  return args[0] === 'run' && !wantsHelp ? args.slice(1) : [...args];
}

/**
 * Parses and validates a command line and environment the way the CLI does. Bad configuration
 * throws a ConfigError naming the flag or variable as given; help and version are printed by yargs.
 */
export async function parseCommandLine(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Invocation | undefined> {
  const wantsHelp = args.some((arg) => arg === '--help' || arg === '-h');
  const options = allOptions();
  const booleans = new Set(Object.entries(options).filter(([, spec]) => spec.kind === 'boolean').map(([flag]) => flag));
  const define = (argv: Argv, specs: OptionSpecs): Argv => argv.options(yargsOptions(specs, wantsHelp));
  const settings = (argv: Record<string, unknown>, specs: OptionSpecs): ParsedArgs => {
    rejectUnknownVariables(Object.keys(options), env);
    return collectSettings(specs, argv, env);
  };
  let invocation: Invocation | undefined;
  await yargs(spellOutBooleanFlags(argumentsForYargs(args, wantsHelp), booleans))
    .scriptName('kube-audit-forwarder')
    .usage('$0 <command> [options]\n\nShips Kubernetes API audit events to Kafka or Fluentd, at least once, across log rotations.\nEvery option can also be set as an environment variable: --kafka-brokers ⇄ KAF_KAFKA_BROKERS.')
    .parserConfiguration(PARSER_CONFIGURATION)
    .command(
      ['run', '$0'],
      'tail the audit log and ship it (the default command)',
      (argv) =>
        runOptionGroups()
          .reduce<Argv>((built, group) => define(built, group.options).group(Object.keys(group.options), group.title), argv)
          .epilogue(examplesEpilogue()),
      (argv) => {
        const values = settings(argv, runOptions());
        invocation = { command: 'run', config: namingSettingsAsGiven(values, () => readAgentConfig(values)) };
      },
    )
    .command(
      'checkpoints',
      'print the stored position and lag of every file of the log (--path) and every file the checkpoint remembers',
      (argv) => define(argv, checkpointsOptions),
      (argv) => {
        const values = settings(argv, checkpointsOptions);
        invocation = {
          command: 'checkpoints',
          checkpointDir: String(values['checkpoint-dir']),
          logPath: path.resolve(String(values.path)),
          json: boolean(values, 'json'),
        };
      },
    )
    .command(
      'evaluate [files..]',
      'run the detection (and filter) rules over audit-log files and print a table of matches',
      (argv) => define(argv, evaluateOptions),
      (argv) => {
        invocation = { command: 'evaluate', settings: settings(argv, evaluateOptions) };
      },
    )
    .strict()
    .wrap(Math.min(120, process.stdout.columns ?? 120))
    .help()
    .alias('help', 'h')
    .version()
    .exitProcess(false)
    .fail((message, error) => {
      // yargs spreads some messages over several lines; one line reads better in a pod's log.
      throw error ?? new ConfigError(message.replace(/\s*\n\s*/g, ' '));
    })
    .parseAsync();
  return invocation;
}
