import assert from 'node:assert/strict';
import { SeededRandom } from '../../helpers/seeded-random.js';

describe('SeededRandom', () => {
  it('repeats its sequence for the same seed and differs for another seed', () => {
    const draw = (seed: number): number[] => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 1_000 }, () => random.uint32());
    };
    assert.deepEqual(draw(42), draw(42));
    assert.notDeepEqual(draw(42), draw(43));
  });

  it('draws ints within inclusive bounds, reaching both ends', () => {
    const random = new SeededRandom(1);
    const seen = new Set(Array.from({ length: 10_000 }, () => random.int(3, 7)));
    assert.deepEqual([...seen].sort(), [3, 4, 5, 6, 7]);
  });

  it('follows the weights of a weighted choice', () => {
    const random = new SeededRandom(2);
    const counts = { rare: 0, common: 0 };
    for (let i = 0; i < 20_000; i++) counts[random.weighted([['rare', 1], ['common', 9]] as const)]++;
    assert.ok(counts.rare > 1_500 && counts.rare < 2_500, `rare drawn ${counts.rare} times`);
  });

  it('draws distinct version-4 UUIDs', () => {
    const random = new SeededRandom(3);
    const ids = Array.from({ length: 100_000 }, () => random.uuid());
    assert.ok(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)));
    assert.equal(new Set(ids).size, ids.length);
  });
});
