import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { enableCompression } from '../../../../src/sinks/kafka/compression-codecs.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;

describe('Kafka compression codecs', () => {
  const payload = Buffer.from(JSON.stringify({ kind: 'Event', items: Array.from({ length: 500 }, (_, i) => `pod-${i}`) }));

  for (const choice of ['gzip', 'snappy', 'zstd'] as const) {
    it(`${choice}: registered with kafkajs, shrinks an event list and decodes it back byte for byte`, async () => {
      const type = await enableCompression(choice);
      const codec = CompressionCodecs[type as keyof typeof CompressionCodecs]() as {
        compress(encoder: { buffer: Buffer }): Promise<Buffer>;
        decompress(buffer: Buffer): Promise<Buffer>;
      };
      const compressed = await codec.compress({ buffer: payload });
      assert.ok(compressed.length < payload.length / 2, `${choice} gave ${compressed.length} of ${payload.length} bytes`);
      assert.deepEqual(await codec.decompress(compressed), payload);
    });
  }

  it('none: no codec', async () => {
    assert.equal(await enableCompression('none'), CompressionTypes.None);
  });
});
