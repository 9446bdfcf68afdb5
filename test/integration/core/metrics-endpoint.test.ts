import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AgentWorkspace } from '../../helpers/agent-fixture.js';
import type { LogEntry } from '../../helpers/agent-process.js';
import { REPO_ROOT } from '../../unit/deploy/repo-root.js';

/** The value of the one sample line `series` (exactly as served), or undefined when it is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics of a freshly started agent', function () {
  this.timeout(120_000);
  let text: string;

  before(async () => {
    const workspace = new AgentWorkspace();
    // Nothing to read: whatever the first scrape shows was there from the start.
    writeFileSync(workspace.livePath, '');
    const agent = workspace.start();
    try {
      const listening: LogEntry = await agent.waitForLog((entry) => entry.message === 'http endpoints listening');
      await agent.waitForLog((entry) => entry.message === 'agent started');
      text = await (await fetch(`${listening.url as string}/metrics`)).text();
    } finally {
      agent.kill('SIGTERM');
      await agent.waitForExit();
    }
  });

  it('serves build_info at 1 with the package version, the revision (unknown outside an image) and the Node version', () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(sample(text, `kube_audit_forwarder_build_info{version="${version}",revision="unknown",node_version="${process.version}"}`), 1, text);
  });

  it('serves the Node process metrics under their standard, unprefixed names', () => {
    for (const family of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds', 'process_start_time_seconds', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds']) {
      assert.match(text, new RegExp(`^# TYPE ${family} `, 'm'), family);
    }
    assert.doesNotMatch(text, /^kube_audit_forwarder_(process|nodejs)_/m);
  });

  it('serves every labelled counter at 0 for the labels known at start', () => {
    const zeros = [
      ...['invalid', 'oversize', 'clipped'].map((reason) => `kube_audit_forwarder_dead_letter_lines_total{reason="${reason}"}`),
      ...['truncated', 'dead-letter'].map((outcome) => `kube_audit_forwarder_oversize_lines_total{outcome="${outcome}"}`),
      'kube_audit_forwarder_sink_errors_total{sink="file"}',
      'kube_audit_forwarder_sink_retries_total{sink="file"}',
      // The default processors: redaction and the built-in detections.
      'kube_audit_forwarder_processor_dropped_events_total{processor="redaction"}',
      'kube_audit_forwarder_processor_dropped_events_total{processor="detections"}',
    ];
    for (const series of zeros) assert.equal(sample(text, series), 0, `${series} in\n${text}`);
  });
});
