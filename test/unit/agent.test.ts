import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AuditEventFactory } from '../helpers/audit-event-factory.js';
import { waitUntil } from '../helpers/agent-process.js';
import { InProcessAgent } from '../helpers/in-process-agent.js';

const FIXTURE = 'test/fixtures/checkpoint/release-0.1.0';

function lines(seed: number, count: number): string[] {
  return new AuditEventFactory({ seed, requestResponseFraction: 0 }).lines(count);
}

/** Lines whose stageTimestamp lies `ageMs` in the past. */
function linesWrittenAgo(ageMs: number, count: number): string[] {
  return new AuditEventFactory({ seed: 7, requestResponseFraction: 0, startTimeMs: Date.now() - ageMs }).lines(count);
}

/** The file entries of a checkpoint on disk (written by rename, so never seen half-written). */
function checkpointedFiles(checkpoint: string): Array<{ offset: number; size: number }> {
  return (JSON.parse((JSON.parse(readFileSync(checkpoint, 'utf8')) as { body: string }).body) as { files: Array<{ offset: number; size: number }> }).files;
}

function append(file: string, text: string[]): void {
  appendFileSync(file, `${text.join('\n')}\n`);
}

describe('Agent (in process, real files, recording sink)', function () {
  this.timeout(30_000);
  let run: InProcessAgent;

  afterEach(async () => {
    await run?.stop();
  });

  it('ships every line on disk and resumes after a restart without sending anything twice', async () => {
    run = new InProcessAgent();
    append(run.livePath, lines(1, 40));
    await run.catchUp();
    append(run.livePath, lines(2, 10));
    await run.catchUp();
    assert.equal(run.sink.lines.length, 50);
    assert.equal(new Set(run.sink.lines).size, 50, 'no line twice');
  });

  it('inflight_bytes shows the bytes read and not yet acknowledged while the sink is down', async () => {
    run = new InProcessAgent();
    const written = lines(3, 30);
    append(run.livePath, written);
    run.sink.failing = true;
    await run.start();
    const size = statSync(run.livePath).size;
    await waitUntil(async () => (await run.metric('inflight_bytes')) === size, 10_000, `inflight_bytes = ${size}`);
    run.sink.failing = false;
    await waitUntil(async () => (await run.metric('inflight_bytes')) === 0, 10_000, 'inflight_bytes back to 0 once acknowledged');
  });

  it('writes the checkpoint when a position changed (and a grown size once), and checkpoint_age_seconds grows while nothing is acknowledged', async () => {
    run = new InProcessAgent();
    append(run.livePath, lines(4, 20));
    await run.start();
    const checkpoint = path.join(run.checkpointDir, 'checkpoint.json');
    const acknowledged = statSync(run.livePath).size;
    // Caught up and its final position on disk: no write for the first 20 lines is still to come.
    await waitUntil(() => run.sink.lines.length === 20 && existsSync(checkpoint) && checkpointedFiles(checkpoint).some((file) => file.offset === acknowledged), 10_000, 'caught up');
    await waitUntil(async () => (await run.metric('checkpoint_age_seconds')) < 1, 5_000, 'a fresh position');
    const writes = await run.metric('checkpoint_writes_total');
    const written = statSync(checkpoint).mtimeMs;
    run.sink.failing = true;
    append(run.livePath, lines(5, 20)); // read, never acknowledged
    await waitUntil(async () => (await run.metric('checkpoint_age_seconds')) >= 2, 10_000, 'the checkpoint ages past 2 s');
    // Interval 50 ms: 40 rewrites in 2 s if it were rewritten every interval. Only the growth of
    // the file is recorded, once (it bounds what would be reported lost), 10 intervals later.
    assert.equal(await run.metric('checkpoint_writes_total'), writes + 1, 'one write, for the new size, and no other');
    assert.notEqual(statSync(checkpoint).mtimeMs, written);
    assert.deepEqual(
      checkpointedFiles(checkpoint).map((file) => [file.offset, file.size]),
      [[acknowledged, statSync(run.livePath).size]],
      'the acknowledged position unchanged, the size the file grew to',
    );
    run.sink.failing = false;
    await waitUntil(async () => (await run.metric('checkpoint_age_seconds')) < 1, 10_000, 'the age falls back once acknowledged');
    await waitUntil(async () => (await run.metric('checkpoint_writes_total')) > writes, 10_000, 'the new position written');
  });

  it('lag_seconds is the age of the oldest unacknowledged line, from its stageTimestamp', async () => {
    run = new InProcessAgent();
    append(run.livePath, linesWrittenAgo(3_600_000, 10));
    run.sink.failing = true;
    await run.start();
    // Before the first line is read the lag comes from the file's mtime (a fraction of a second).
    await waitUntil(async () => (await run.metric('lag_seconds')) >= 3_600, 10_000, 'lag_seconds an hour, from the oldest line');
    const lag = await run.metric('lag_seconds');
    assert.ok(lag < 3_700, `an hour behind, got ${lag} s`);
    run.sink.failing = false;
    await waitUntil(async () => (await run.metric('lag_seconds')) === 0, 10_000, 'lag_seconds 0 once caught up');
  });

  it('file_lag_bytes names each file by fingerprint and by path', async () => {
    run = new InProcessAgent();
    append(run.livePath, lines(6, 10));
    run.sink.failing = true;
    await run.start();
    const size = statSync(run.livePath).size;
    await waitUntil(async () => (await run.series('file_lag_bytes')).length === 1, 10_000, 'one series');
    const [series] = await run.series('file_lag_bytes');
    assert.equal(series!.labels.path, run.livePath);
    assert.match(String(series!.labels.file), /^[0-9a-f]{32}$/);
    assert.equal(series!.value, size);
  });

  it('counts a truncation in place as a truncation only, never as a rotation of "(gone)"', async () => {
    run = new InProcessAgent();
    append(run.livePath, lines(8, 10));
    await run.start();
    await waitUntil(() => run.sink.lines.length === 10, 10_000, 'the first lines');
    truncateSync(run.livePath, 0);
    append(run.livePath, lines(9, 5));
    await waitUntil(() => run.sink.lines.length === 15, 10_000, 'the new generation');
    assert.equal(await run.metric('truncations_total'), 1);
    assert.equal(await run.metric('rotations_total'), 0);
    assert.deepEqual(run.logged('audit log rotated'), []);
  });

  it('--start-at beginning resumes files from the checkpoint; only files without one start at their beginning', async () => {
    run = new InProcessAgent();
    append(run.livePath, lines(10, 20));
    await run.catchUp({ startAt: 'beginning' });
    assert.equal(run.sink.lines.length, 20);
    append(run.livePath, lines(11, 5));
    await run.catchUp({ startAt: 'beginning' });
    assert.equal(run.sink.lines.length, 25, 'nothing sent twice');
  });

  it('--replay sends every file on disk again from its start and says which, with the bytes sent twice', async () => {
    run = new InProcessAgent();
    append(run.livePath, lines(12, 20));
    await run.catchUp();
    const size = statSync(run.livePath).size;
    await run.start({ replay: true });
    await waitUntil(() => run.sink.lines.length === 40, 10_000, 'everything again');
    const [replaying] = run.logged('--replay: sending this file again from its start');
    assert.equal(replaying?.file, run.livePath);
    assert.equal(replaying?.duplicateBytes, size);
  });

  it('/readyz is not ready while the log directory is missing after the start-up grace, and says why', async () => {
    run = new InProcessAgent({ createLogDir: false });
    const agent = await run.start({ logDirGraceMs: 0 });
    await waitUntil(async () => !(await agent.readiness()).ready, 5_000, 'not ready');
    const report = await agent.readiness();
    assert.equal(report.checks.logDirectory?.ok, false);
    assert.match(report.checks.logDirectory!.detail, /log directory .* does not exist/);
    mkdirSync(run.logDir);
    append(run.livePath, lines(13, 1));
    await waitUntil(async () => (await agent.readiness()).ready, 5_000, 'ready once the log is there');
  });

  it('is ready during the start-up grace while the log directory does not exist yet', async () => {
    run = new InProcessAgent({ createLogDir: false });
    const agent = await run.start({ logDirGraceMs: 60_000 });
    await waitUntil(() => run.logged('log directory cannot be listed; waiting for it').length > 0, 5_000, 'the directory looked for');
    const report = await agent.readiness();
    assert.equal(report.ready, true);
    assert.match(report.checks.logDirectory!.detail, /start-up grace/);
  });

  it('resumes from a checkpoint written by release 0.1.0 (schema version 1), shipping only what came after it', async () => {
    run = new InProcessAgent({ createLogDir: false });
    cpSync(path.join(FIXTURE, 'log'), run.logDir, { recursive: true });
    mkdirSync(run.checkpointDir);
    copyFileSync(path.join(FIXTURE, 'checkpoint.json'), path.join(run.checkpointDir, 'checkpoint.json'));
    const appended = readFileSync(path.join(FIXTURE, 'appended-after-checkpoint.log'), 'utf8');
    writeFileSync(run.livePath, appended, { flag: 'a' });
    await run.start();
    const expected = appended.trimEnd().split('\n');
    await waitUntil(() => run.sink.lines.length >= expected.length, 10_000, 'the appended lines');
    await waitUntil(async () => (await run.metric('checkpoint_writes_total')) > 0, 10_000, 'a new checkpoint');
    await run.stop();
    assert.deepEqual(run.sink.lines, expected);
    assert.equal(run.logged('checkpoint restored')[0]?.upgradedFromVersion, 1);
    const envelope = JSON.parse(readFileSync(path.join(run.checkpointDir, 'checkpoint.json'), 'utf8')) as { body: string };
    assert.equal((JSON.parse(envelope.body) as { version: number }).version, 2, 'written back in the current schema');
  });
});
