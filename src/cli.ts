#!/usr/bin/env -S node --max-semi-space-size=4
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { printCheckpoints } from './commands/checkpoints.js';
import { evaluateOptions, runEvaluate } from './commands/evaluate.js';
import { runAgent } from './commands/run.js';
import { ConfigError } from './config-error.js';
import { coreOptions, readAgentConfig } from './config.js';
import type { OptionGroup } from './option-group.js';
import { runOptionGroups } from './run-option-groups.js';

/** Exit code for bad configuration, distinct from a runtime failure (1). */
const EXIT_BAD_CONFIG = 2;

function withGroup<T>(argv: Argv, group: OptionGroup<unknown>): Argv<T> {
  return argv.options(group.options).group(Object.keys(group.options), group.title) as Argv<T>;
}

function runOptions(argv: Argv): Argv {
  return runOptionGroups().reduce<Argv>((built, group) => withGroup(built, group), argv);
}

/**
 * `run` is also the default command. yargs renders the whole help text of a command that was
 * named explicitly before running it (wrapping ~100 options: 70 ms of every start-up, measured
 * with --cpu-prof), so an explicit `run` is dropped and the default command runs the same handler
 * with the same options. Kept when help is asked for, so `run --help` prints the run command's help.
 */
function argumentsForYargs(args: string[]): string[] {
  const wantsHelp = args.some((arg) => arg === '--help' || arg === '-h');
  return args[0] === 'run' && !wantsHelp ? args.slice(1) : args;
}

async function main(): Promise<number> {
  let exitCode = 0;
  const parser = yargs(argumentsForYargs(hideBin(process.argv)))
    .scriptName('kube-audit-forwarder')
    .usage('$0 <command> [options]\n\nShips Kubernetes API audit events to Kafka or Fluentd, at least once, across log rotations.\nEvery option can also be set as an environment variable: --kafka-brokers ⇄ KAF_KAFKA_BROKERS.')
    .env('KAF')
    .command(
      ['run', '$0'],
      'tail the audit log and ship it (the default command)',
      (argv) => runOptions(argv),
      async (argv) => {
        exitCode = await runAgent(readAgentConfig(argv as Record<string, unknown>));
      },
    )
    .command(
      'checkpoints',
      'print the stored position and lag of every tracked file',
      (argv) =>
        argv
          .option('checkpoint-dir', coreOptions.options['checkpoint-dir']!)
          .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of a table' }),
      async (argv) => {
        exitCode = await printCheckpoints(String(argv['checkpoint-dir']), Boolean(argv.json), (text) => console.log(text));
      },
    )
    .command(
      'evaluate [files..]',
      'run the detection (and filter) rules over audit-log files and print a table of matches',
      (argv) => argv.options(evaluateOptions),
      async (argv) => {
        exitCode = await runEvaluate(argv as Record<string, unknown>, (text) => console.log(text));
      },
    )
    .strict()
    .wrap(Math.min(120, process.stdout.columns ?? 120))
    .example('$0 run --path /var/log/kubernetes/audit/audit.log --sink kafka --kafka-brokers kafka:9092', 'ship to Kafka')
    .example('KAF_SINK=forward KAF_FORWARD_SERVERS=fluentd:24224 $0', 'ship to Fluentd, configured from the environment')
    .example('$0 checkpoints --checkpoint-dir /var/lib/kube-audit-forwarder', 'show positions and lag')
    .example('$0 evaluate audit.log --rules-file my-rules.yaml', 'try detection rules on a saved audit log')
    .help()
    .alias('help', 'h')
    .version()
    .fail((message, error) => {
      // yargs spreads some messages over several lines; one line reads better in a pod's log.
      throw error ?? new ConfigError(message.replace(/\s*\n\s*/g, ' '));
    });
  await parser.parseAsync();
  return exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`kube-audit-forwarder: configuration error: ${error.message}\nRun with --help to see every option.\n`);
      process.exitCode = EXIT_BAD_CONFIG;
      return;
    }
    process.stderr.write(`kube-audit-forwarder: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
