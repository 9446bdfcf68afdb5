import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/config-error.js';
import { httpOptions } from '../../../src/observability/http-options.js';
import { parseOptions } from '../../../src/yargs-options.js';

/** Parses like the CLI does: flags plus `KAF_*` environment variables. */
function parse(args: string[], env: Record<string, string> = {}): ReturnType<typeof httpOptions.read> {
  return httpOptions.read(parseOptions(httpOptions.options, args, env));
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
      return error instanceof ConfigError && /--http-port: "metrics" is not an integer$/.test(error.message);
    });
    assert.throws(() => parse(['--http-port', '70000']), /--http-port: 70000 is not between 0 and 65535$/);
  });

  it('reject a host that is not an IP address, naming the flag or the variable as given', () => {
    assert.throws(() => parse(['--http-host', 'not-an-ip']), /^ConfigError: --http-host: "not-an-ip" is not an IP address/);
    assert.throws(() => parse([], { KAF_HTTP_HOST: 'localhost' }), /^ConfigError: KAF_HTTP_HOST: "localhost" is not an IP address/);
  });
});
