import assert from 'node:assert/strict';
import { AgentMetrics } from '../../../src/observability/metrics.js';

/** The value of an unlabelled series in the exposition text. */
function sampleOf(text: string, name: string): string | undefined {
  return new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
}

describe('kube_audit_forwarder_sink_ready', () => {
  it('reports the sink readiness at each scrape: 1 while it delivers, 0 while it does not', async () => {
    const metrics = new AgentMetrics({ nodeDefaults: false });
    let ready = true;
    metrics.sinkReadyFrom(() => ready);
    assert.equal(sampleOf(await metrics.registry.metrics(), 'kube_audit_forwarder_sink_ready'), '1');
    ready = false;
    assert.equal(sampleOf(await metrics.registry.metrics(), 'kube_audit_forwarder_sink_ready'), '0');
    ready = true;
    assert.equal(sampleOf(await metrics.registry.metrics(), 'kube_audit_forwarder_sink_ready'), '1');
  });
});
