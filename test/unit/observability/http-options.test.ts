import assert from 'node:assert/strict';
import yargs from 'yargs';
import { ConfigError } from '../../../src/config-error.js';
import { httpOptions } from '../../../src/observability/http-options.js';

/** Parses like the CLI does: flags plus `KAF_*` environment variables. */
function parse(args: string[], env: Record<string, string> = {}): ReturnType<typeof httpOptions.read> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const argv = yargs(args).options(httpOptions.options).env('KAF').parseSync();
    return httpOptions.read(argv);
  } finally {
    for (const name of Object.keys(env)) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
}

describe('HTTP endpoint options', () => {
  it('default to port 2020 on every interface', () => {
    assert.deepEqual(parse([]), { port: 2020, host: '0.0.0.0' });
  });

  it('are read from --http-port/--http-host and from KAF_HTTP_PORT/KAF_HTTP_HOST', () => {
    assert.deepEqual(parse(['--http-port', '9100', '--http-host', '127.0.0.1']), { port: 9100, host: '127.0.0.1' });
    assert.deepEqual(parse([], { KAF_HTTP_PORT: '9200', KAF_HTTP_HOST: '::' }), { port: 9200, host: '::' });
  });

  it('reject a port that is not a number or is out of range, naming the flag', () => {
    assert.throws(() => parse(['--http-port', 'metrics']), (error: unknown) => {
      return error instanceof ConfigError && /--http-port must be an integer, got "metrics"/.test(error.message);
    });
    assert.throws(() => parse(['--http-port', '70000']), /--http-port must be between 0 and 65535, got 70000/);
  });
});
