#!/usr/bin/env -S node --max-semi-space-size=8
import { enableCompileCache } from 'node:module';
import { StopSignals } from './commands/stop-signals.js';

// Compiling the modules is part of every start's CPU: Node keeps their compiled code under the
// temp directory and the next start reuses it (a restart after a crash, every run of the bench).
// Where nothing can be written there (a read-only root file system) it does nothing, and
// NODE_DISABLE_COMPILE_CACHE turns it off.
enableCompileCache();

// Before anything else is loaded: module loading and option parsing take a noticeable part of a
// second, and a SIGTERM then (a pod deleted as it starts) would kill the process by signal.
const stopSignals = StopSignals.install();

const [{ hideBin }, { parseCommandLine }, { printCheckpoints }, { runEvaluate }, { runAgent }, { ConfigError }] = await Promise.all([
  import('yargs/helpers'),
  import('./command-line.js'),
  import('./commands/checkpoints.js'),
  import('./commands/evaluate.js'),
  import('./commands/run.js'),
  import('./config-error.js'),
]);

/** Exit code for bad configuration, distinct from a runtime failure (1). */
const EXIT_BAD_CONFIG = 2;

async function main(): Promise<number> {
  const invocation = await parseCommandLine(hideBin(process.argv), process.env);
  const print = (text: string): void => console.log(text);
  if (invocation?.command === 'run') return runAgent(invocation.config, stopSignals);
  // Nothing else has anything to drain: a signal ends it as Node's default would.
  const pending = stopSignals.uninstall();
  if (pending) process.kill(process.pid, pending);
  switch (invocation?.command) {
    case undefined:
      return 0; // --help or --version, printed by the parser
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
