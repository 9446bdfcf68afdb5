#!/usr/bin/env -S node --max-semi-space-size=4
import { hideBin } from 'yargs/helpers';
import { parseCommandLine } from './command-line.js';
import { printCheckpoints } from './commands/checkpoints.js';
import { runEvaluate } from './commands/evaluate.js';
import { runAgent } from './commands/run.js';
import { ConfigError } from './config-error.js';

/** Exit code for bad configuration, distinct from a runtime failure (1). */
const EXIT_BAD_CONFIG = 2;

async function main(): Promise<number> {
  const invocation = await parseCommandLine(hideBin(process.argv), process.env);
  const print = (text: string): void => console.log(text);
  switch (invocation?.command) {
    case undefined:
      return 0; // --help or --version, printed by the parser
    case 'run':
      return runAgent(invocation.config);
    case 'checkpoints':
      return printCheckpoints({ directory: invocation.checkpointDir, logPath: invocation.logPath }, invocation.json, print);
    case 'evaluate':
      return runEvaluate(invocation.settings, print, (text) => console.error(text));
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      const hint = error.pointsToHelp ? 'Run with --help to see every option.\n' : '';
      process.stderr.write(`kube-audit-forwarder: configuration error: ${error.message}\n${hint}`);
      process.exitCode = EXIT_BAD_CONFIG;
      return;
    }
    process.stderr.write(`kube-audit-forwarder: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
