import assert from 'node:assert/strict';
import { parseCommandLine } from '../../../src/command-line.js';

async function maxInflightBatches(args: string[], env: Record<string, string> = {}): Promise<number> {
  const invocation = await parseCommandLine(['run', ...args], env);
  assert.equal(invocation?.command, 'run');
  return invocation.config.maxInflightBatches;
}

describe('--max-inflight-batches default', () => {
  it('is 8, and 4 with the Kafka sink, whose client copies every message it holds', async () => {
    assert.equal(await maxInflightBatches([]), 8);
    assert.equal(await maxInflightBatches(['--sink', 'forward', '--forward-servers', '127.0.0.1:24224']), 8);
    assert.equal(await maxInflightBatches(['--sink', 'kafka', '--kafka-brokers', '127.0.0.1:9092']), 4);
  });

  it('is what the flag or KAF_MAX_INFLIGHT_BATCHES says, whatever the sink', async () => {
    assert.equal(await maxInflightBatches(['--sink', 'kafka', '--kafka-brokers', '127.0.0.1:9092', '--max-inflight-batches', '8']), 8);
    assert.equal(await maxInflightBatches(['--sink', 'kafka', '--kafka-brokers', '127.0.0.1:9092'], { KAF_MAX_INFLIGHT_BATCHES: '12' }), 12);
    assert.equal(await maxInflightBatches(['--max-inflight-batches', '2']), 2);
  });
});
