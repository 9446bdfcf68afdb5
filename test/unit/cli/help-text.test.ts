import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { HELP_EXAMPLES, parseCommandLine } from '../../../src/command-line.js';
import { CLI_PATH } from '../../helpers/agent-process.js';

const run = promisify(execFile);

describe('--help', function () {
  this.timeout(60_000);
  let help = '';
  before(async () => {
    help = (await run(process.execPath, [CLI_PATH, 'run', '--help'])).stdout;
  });

  it('prints numbers and booleans as such, not as quoted strings', () => {
    assert.match(help, /--batch-max-events\s+Most events in one batch\s+\[number\] \[default: 2000\]/);
    assert.match(help, /--redaction[\s\S]*?\[boolean\] \[default: true\]/);
    assert.match(help, /--batch-max-bytes\s+Most bytes in one batch\s+\[string\] \[default: 1MiB\]/);
    assert.doesNotMatch(help, /\[default: "\d+"\]/);
  });

  it('prints the examples once, with or without the run command', async () => {
    const bare = (await run(process.execPath, [CLI_PATH, '--help'])).stdout;
    for (const text of [help, bare]) assert.equal(text.split('\nExamples:\n').length, 2, text.slice(text.indexOf('Examples:')));
  });

  it('prints each example whole, on lines of at most 80 columns, and every example parses', async () => {
    const examples = help.slice(help.indexOf('Examples:'));
    for (const example of HELP_EXAMPLES) {
      const command = example.command.replace(/\$0/g, 'kube-audit-forwarder');
      assert.ok(examples.includes(command), `example printed whole:\n${command}`);
      for (const line of command.split('\n')) assert.ok(line.length <= 78, `${line.length} columns: ${line}`);
      const words = command.replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean);
      const env = Object.fromEntries(words.filter((word) => /^KAF_\w+=/.test(word)).map((word) => word.split('=', 2) as [string, string]));
      const args = words.slice(words.indexOf('kube-audit-forwarder') + 1);
      if (args[0] === 'evaluate') continue; // names files that exist only on the user's machine
      const invocation = await parseCommandLine(args, env);
      assert.ok(invocation, command);
    }
  });
});
