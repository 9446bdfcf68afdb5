import assert from 'node:assert/strict';
import { javaPartitionOf, murmur2 } from '../../helpers/java-murmur2.js';

describe('Java murmur2 (the oracle of the Kafka partition tests)', () => {
  it("hashes as the Java client's Utils.murmur2 (its own test vectors)", () => {
    const vectors: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [text, expected] of vectors) assert.equal(murmur2(Buffer.from(text)), expected, text);
  });

  it('places a key by the positive hash modulo the partition count, hashing its UTF-8 bytes', () => {
    assert.equal(javaPartitionOf('21', 3), 1173551340 % 3);
    assert.equal(javaPartitionOf('21', 7), 1173551340 % 7);
    assert.equal(javaPartitionOf('ñ', 64), (murmur2(Buffer.from([0xc3, 0xb1])) & 0x7fffffff) % 64);
  });
});
