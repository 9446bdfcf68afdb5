import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkpointDirWritable, readinessProbe, sinkCanDeliver } from '../../../src/observability/readiness.js';

describe('readiness probe', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kaf-readiness-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is ready when the checkpoint dir is writable and the sink can deliver', async () => {
    const probe = readinessProbe({
      'checkpoint-dir': checkpointDirWritable(dir),
      sink: sinkCanDeliver({ name: 'kafka', health: () => ({ ready: true, detail: 'last send succeeded' }) }),
    });
    assert.deepEqual(await probe(), {
      ready: true,
      checks: [
        { name: 'checkpoint-dir', ready: true, detail: `${dir} is writable` },
        { name: 'sink', ready: true, detail: 'kafka: last send succeeded' },
      ],
    });
  });

  it('is not ready when the sink reports it cannot deliver, and says why', async () => {
    const probe = readinessProbe({
      'checkpoint-dir': checkpointDirWritable(dir),
      sink: sinkCanDeliver({ name: 'forward', health: () => ({ ready: false, detail: 'no ack for chunk within 30s' }) }),
    });
    const report = await probe();
    assert.equal(report.ready, false);
    assert.deepEqual(report.checks[1], { name: 'sink', ready: false, detail: 'forward: no ack for chunk within 30s' });
  });

  it('is not ready when the checkpoint dir does not exist', async () => {
    const missing = path.join(dir, 'missing');
    const report = await readinessProbe({ 'checkpoint-dir': checkpointDirWritable(missing) })();
    assert.equal(report.ready, false);
    assert.match(report.checks[0]!.detail, new RegExp(`^${missing} is not writable: .*ENOENT`));
  });

  it('reports the sink health as it is at each call, not as it was', async () => {
    let ready = false;
    const probe = readinessProbe({ sink: sinkCanDeliver({ name: 'kafka', health: () => ({ ready, detail: '' }) }) });
    assert.equal((await probe()).ready, false);
    ready = true;
    assert.equal((await probe()).ready, true);
  });

  it('counts a check that throws as not ready instead of failing the whole probe', async () => {
    const probe = readinessProbe({
      sink: () => {
        throw new Error('health() exploded');
      },
      'checkpoint-dir': checkpointDirWritable(dir),
    });
    const report = await probe();
    assert.equal(report.ready, false);
    assert.deepEqual(report.checks[0], { name: 'sink', ready: false, detail: 'check failed: health() exploded' });
    assert.equal(report.checks[1]!.ready, true);
  });
});
