import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import kafkajs, { type PartitionerArgs, type PartitionMetadata } from 'kafkajs';
import { murmur2, murmur2OfKey, Murmur2Partitioner } from '../../../../src/sinks/kafka/murmur2-partitioner.js';

const { Partitioners } = kafkajs;

function partitions(count: number, leaderless: number[] = []): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    replicas: [0],
    isr: [0],
  }));
}

function args(key: Buffer | string | null, partitionMetadata: PartitionMetadata[], partition?: number): PartitionerArgs {
  return { topic: 'audit', partitionMetadata, message: { key, value: Buffer.from('{}'), partition } };
}

describe('murmur2 partitioner', () => {
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

  it("puts every key in the partition kafkajs' DefaultPartitioner chose, for strings, multi-byte text, long keys and Buffers", () => {
    const ours = Murmur2Partitioner();
    const theirs = Partitioners.DefaultPartitioner();
    const keys: Array<Buffer | string> = ['', 'a', 'ab', 'abc', 'payments', 'ユーザー-ü-🚀', 'x'.repeat(1000), '\u{1F680}'.repeat(70)];
    for (let i = 0; i < 500; i += 1) keys.push(randomUUID(), randomBytes(i % 70));
    for (const count of [1, 3, 7, 64]) {
      for (const key of keys) assert.equal(ours(args(key, partitions(count))), theirs(args(key, partitions(count))), `${String(key)} over ${count}`);
    }
  });

  it('hashes a string key as its UTF-8 bytes', () => {
    for (const text of ['6d1c1b4e-4f0a-4f5e-9a36-1f3f5b7b0c11', 'ñamespace', '🚀'.repeat(200)]) {
      assert.equal(murmur2OfKey(text), murmur2(Buffer.from(text, 'utf8')));
    }
  });

  it('keeps an explicit partition', () => {
    assert.equal(Murmur2Partitioner()(args('key', partitions(3), 2)), 2);
  });

  it('spreads messages without key round robin over the partitions that have a leader', () => {
    const partitioner = Murmur2Partitioner();
    const chosen = Array.from({ length: 6 }, () => partitioner(args(null, partitions(4, [1]))));
    assert.deepEqual(new Set(chosen), new Set([0, 2, 3]));
    for (let i = 3; i < chosen.length; i += 1) assert.equal(chosen[i], chosen[i - 3]);
  });
});
