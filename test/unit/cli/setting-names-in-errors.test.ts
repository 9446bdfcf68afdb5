import assert from 'node:assert/strict';
import { parseCommandLine } from '../../../src/command-line.js';
import { ConfigError } from '../../../src/config-error.js';

async function configError(args: string[], env: Record<string, string>): Promise<string> {
  try {
    await parseCommandLine(['run', ...args], env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail(`${args.join(' ')} ${JSON.stringify(env)} was accepted`);
}

describe('configuration errors name each setting as it was given', () => {
  it('a value from a KAF_* variable is named as the variable, also in checks that span several settings', async () => {
    assert.match(await configError([], { KAF_SINK: 'kafka', KAF_KAFKA_BROKERS: 'no-port' }), /^KAF_KAFKA_BROKERS must be host:port entries, got "no-port"$/);
    assert.match(await configError([], { KAF_SINK: 'forward', KAF_FORWARD_SERVERS: 'fluentd:99999' }), /^KAF_FORWARD_SERVERS must be host:port entries/);
    assert.match(await configError([], { KAF_RULES_FILE: '/nonexistent/rules.yaml' }), /^KAF_RULES_FILE: cannot read \/nonexistent\/rules\.yaml/);
    assert.match(
      await configError(['--kafka-brokers', '127.0.0.1:9092'], { KAF_SINK: 'kafka', KAF_KAFKA_ACKS: '1' }),
      /^--kafka-idempotent needs KAF_KAFKA_ACKS all \(or turn it off with --no-kafka-idempotent\)$/,
    );
  });

  it('a value from a flag is named as the flag', async () => {
    assert.match(await configError(['--sink', 'kafka', '--kafka-brokers', 'no-port'], {}), /^--kafka-brokers must be host:port entries/);
  });
});
