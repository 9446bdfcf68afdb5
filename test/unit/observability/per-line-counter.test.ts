import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { PerLineCounter } from '../../../src/observability/per-line-counter.js';

describe('PerLineCounter', () => {
  it('serves what was added at every scrape, each addition counted once', async () => {
    const registry = new Registry();
    const counter = new PerLineCounter({ name: 'test_lines_total', help: 'lines', registers: [registry] });
    counter.add(1);
    counter.add(41);
    assert.match(await registry.metrics(), /^test_lines_total 42$/m);
    assert.match(await registry.metrics(), /^test_lines_total 42$/m, 'a second scrape adds nothing again');
    counter.add(8);
    assert.equal((await counter.get()).values[0]?.value, 50);
    assert.match(await registry.metrics(), /^test_lines_total 50$/m);
  });
});
