import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { AgentWorkspace } from '../../helpers/agent-fixture.js';
import { waitUntil } from '../../helpers/agent-process.js';
import { readCheckpointView } from '../../helpers/checkpoint-view.js';
import { jsonLinesCorpusFiles, rawLines } from '../../helpers/corpus.js';
import { FaultInjectingForwardServer } from '../../helpers/forward/fault-injecting-forward-server.js';
import { readFileSinkOutput } from '../../helpers/sink-output.js';
import { NOBODY } from '../../helpers/read-permission.js';

function event(id: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: id, stage: 'ResponseComplete', verb: 'get', ...extra });
}

function checkpointedSize(file: string): number | undefined {
  try {
    const { body } = JSON.parse(readFileSync(file, 'utf8')) as { body: string };
    return (JSON.parse(body) as { files: Array<{ size: number }> }).files[0]?.size;
  } catch {
    return undefined;
  }
}

function deadLetters(workspace: AgentWorkspace): Array<Record<string, unknown>> {
  const file = path.join(workspace.checkpointDir, 'dead-letter', 'dead-letter.jsonl');
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** `unreadable_files` as the agent serves it on /metrics. */
async function scrapedUnreadableFiles(url: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith('kube_audit_forwarder_unreadable_files '));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

const PIPELINES: ReadonlyArray<readonly [string, string[]]> = [
  ['lines parsed whole', []],
  ['lines scanned, events parsed lazily', ['--no-redaction', '--no-detections']],
];

describe('bad input gets its documented behaviour and the agent keeps running', function () {
  this.timeout(120_000);

  // With the default processors lines are parsed whole (detection rules read every event);
  // without them they are only scanned and the event is parsed lazily: both paths are held to it.
  for (const [pipeline, processorArgs] of PIPELINES) {
    it(`ships a 5 MB event with its large objects replaced by a size marker, and goes on with the next event (${pipeline})`, async () => {
      const workspace = new AgentWorkspace();
      const huge = event('huge', { responseObject: { kind: 'SecretList', items: 'x'.repeat(5 * 1024 * 1024) } });
      writeFileSync(workspace.livePath, `${event('before')}\n${huge}\n${event('after')}\n`);
      const agent = await workspace.catchUp(processorArgs);
      const delivered = readFileSinkOutput(workspace.outputPath);
      assert.deepEqual(delivered.keys, ['before/ResponseComplete', 'huge/ResponseComplete', 'after/ResponseComplete']);
      const shipped = JSON.parse(delivered.lines[1]!.toString()) as { responseObject: Record<string, unknown>; annotations: Record<string, string> };
      assert.equal(shipped.responseObject['kube-audit-forwarder.io/truncated'], true);
      assert.ok(Number(shipped.responseObject.originalBytes) > 5 * 1024 * 1024);
      assert.match(shipped.annotations['kube-audit-forwarder.io/truncated']!, /responseObject replaced/);
      assert.equal(agent.logs.filter((entry) => /longer than --max-line-bytes/.test(entry.message)).length, 1, 'logged once');
    });

    it(`dead-letters garbage and truncated JSON with file and offset, and ships the valid lines around them (${pipeline})`, async () => {
      const workspace = new AgentWorkspace();
      const lines = [event('a'), 'garbage{{', '{"kind":"Event","auditID":"cut', '[1,2,3]', '', event('b')];
      writeFileSync(workspace.livePath, lines.join('\n') + '\n');
      const agent = await workspace.catchUp(processorArgs);
      assert.deepEqual(readFileSinkOutput(workspace.outputPath).keys, ['a/ResponseComplete', 'b/ResponseComplete']);
      const letters = deadLetters(workspace);
      assert.deepEqual(
        letters.map((entry) => entry.line),
        ['garbage{{', '{"kind":"Event","auditID":"cut', '[1,2,3]'],
      );
      assert.equal(letters[0]!.offset, Buffer.byteLength(event('a')) + 1);
      assert.equal(letters[0]!.file, workspace.livePath);
      assert.equal(agent.logsWith('invalid audit log line').length, 3);
      assert.equal(agent.logsWith('agent stopped')[0]!.invalidLines, 3);
    });

    it(`strips the UTF-8 byte-order mark a file starts with from the event it ships; the checkpoint still counts its bytes (${pipeline})`, async () => {
      const workspace = new AgentWorkspace();
      writeFileSync(workspace.livePath, `\uFEFF${event('first')}\n${event('second')}\n`);
      await workspace.catchUp(processorArgs);
      const delivered = readFileSinkOutput(workspace.outputPath);
      assert.deepEqual(delivered.keys, ['first/ResponseComplete', 'second/ResponseComplete']);
      assert.deepEqual([...delivered.lines[0]!.subarray(0, 1)], [0x7b], 'the first event starts with "{", not a byte-order mark');
      assert.equal(JSON.parse(delivered.lines[0]!.toString('utf8')).auditID, 'first');
      assert.equal(readCheckpointView(workspace.checkpointDir).files[0]!.offset, statSync(workspace.livePath).size);
    });
  }

  it('dead-letters an oversize line instead when --oversize-policy dead-letter is set', async () => {
    const workspace = new AgentWorkspace();
    const huge = event('huge', { requestObject: { data: 'y'.repeat(2 * 1024 * 1024) } });
    writeFileSync(workspace.livePath, `${huge}\n${event('after')}\n`);
    await workspace.catchUp(['--oversize-policy', 'dead-letter']);
    assert.deepEqual(readFileSinkOutput(workspace.outputPath).keys, ['after/ResponseComplete']);
    const [entry] = deadLetters(workspace);
    assert.equal(entry!.offset, 0);
    assert.equal(entry!.line, huge);
  });

  it('ships invalid lines wrapped with their origin when --invalid-line-policy ship-raw is set', async () => {
    const workspace = new AgentWorkspace();
    writeFileSync(workspace.livePath, `not json\n${event('a')}\n`);
    await workspace.catchUp(['--invalid-line-policy', 'ship-raw']);
    const [raw] = readFileSinkOutput(workspace.outputPath).lines;
    assert.deepEqual(JSON.parse(raw!.toString()).kafInvalidLine, 'not json');
  });

  it('ships a line holding a byte that is not UTF-8 byte-identical', async () => {
    const workspace = new AgentWorkspace();
    const line = Buffer.concat([Buffer.from(event('bin').slice(0, -1) + ',"userAgent":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    writeFileSync(workspace.livePath, Buffer.concat([line, Buffer.from('\n')]));
    await workspace.catchUp();
    assert.deepEqual(readFileSinkOutput(workspace.outputPath).lines[0], line);
  });

  it('waits on a 0-byte file and on a line without its newline, and ships the line once it is complete', async () => {
    const workspace = new AgentWorkspace();
    writeFileSync(workspace.livePath, '');
    const agent = workspace.start();
    await agent.waitForLog((entry) => entry.message === 'agent started');
    appendFileSync(workspace.livePath, `${event('a')}\n${event('partial').slice(0, 20)}`);
    await waitUntil(() => readFileSinkOutput(workspace.outputPath).keys.length === 1, 30_000, 'the complete line');
    appendFileSync(workspace.livePath, `${event('partial').slice(20)}\n`);
    await waitUntil(() => readFileSinkOutput(workspace.outputPath).keys.length === 2, 30_000, 'the completed line');
    agent.kill('SIGTERM');
    assert.equal((await agent.waitForExit()).code, 0);
    assert.deepEqual(readFileSinkOutput(workspace.outputPath).keys, ['a/ResponseComplete', 'partial/ResponseComplete']);
  });

  it('falls back to the previous checkpoint generation when the current one is corrupt, re-sending rather than skipping', async () => {
    const workspace = new AgentWorkspace();
    writeFileSync(workspace.livePath, `${event('a')}\n`);
    await workspace.catchUp();
    appendFileSync(workspace.livePath, `${event('b')}\n`);
    await workspace.catchUp();
    writeFileSync(path.join(workspace.checkpointDir, 'checkpoint.json'), '{"sha256":"torn');
    appendFileSync(workspace.livePath, `${event('c')}\n`);
    const agent = await workspace.catchUp();
    assert.ok(agent.logs.some((entry) => entry.message === 'checkpoint generation unusable'));
    assert.ok(agent.logs.some((entry) => /previous checkpoint generation/.test(entry.message)));
    assert.deepEqual(readFileSinkOutput(workspace.outputPath).keys, [
      'a/ResponseComplete',
      'b/ResponseComplete',
      'b/ResponseComplete',
      'c/ResponseComplete',
    ]);
  });

  it('replays from the start, loudly, when every checkpoint generation is corrupt', async () => {
    const workspace = new AgentWorkspace();
    writeFileSync(workspace.livePath, `${event('a')}\n`);
    await workspace.catchUp();
    writeFileSync(path.join(workspace.checkpointDir, 'checkpoint.json'), 'garbage');
    writeFileSync(path.join(workspace.checkpointDir, 'checkpoint.previous.json'), 'garbage');
    const agent = await workspace.catchUp();
    assert.ok(agent.logs.some((entry) => entry.level === 'error' && /no usable checkpoint/.test(entry.message)));
    assert.deepEqual(readFileSinkOutput(workspace.outputPath).keys, ['a/ResponseComplete', 'a/ResponseComplete']);
  });

  describe('a file the agent may not read (the agent runs as nobody; root reads through chmod 000)', function () {
    before(function () {
      if (process.getuid?.() !== 0) this.skip(); // needs root to run the agent as another user
    });

    it('reports a permission-denied file once with its errno, counts it in unreadable_files, keeps shipping the others, and reads it once it becomes readable', async () => {
      const workspace = new AgentWorkspace();
      const backup = path.join(workspace.logDir, 'audit-2026-01-01T00-00-00.000.log');
      writeFileSync(backup, `${event('locked')}\n`);
      writeFileSync(workspace.livePath, `${event('open')}\n`);
      chmodSync(backup, 0o600); // root-owned 0600, as kube-apiserver leaves it
      const agent = workspace.startAs(NOBODY);
      const listening = await agent.waitForLog((entry) => entry.message === 'http endpoints listening');
      await waitUntil(() => readFileSinkOutput(workspace.outputPath).keys.includes('open/ResponseComplete'), 30_000, 'the readable file');
      const complaint = await agent.waitForLog((entry) => /cannot be read/.test(entry.message));
      assert.equal(complaint.path, backup);
      assert.equal(complaint.code, 'EACCES');
      assert.equal(await scrapedUnreadableFiles(String(listening.url)), 1);
      chmodSync(backup, 0o644);
      await waitUntil(() => readFileSinkOutput(workspace.outputPath).keys.includes('locked/ResponseComplete'), 30_000, 'the file once readable');
      await agent.waitForLog((entry) => /can be read again/.test(entry.message) && entry.path === backup);
      assert.equal(await scrapedUnreadableFiles(String(listening.url)), 0);
      agent.kill('SIGTERM');
      assert.equal((await agent.waitForExit()).code, 0);
      assert.equal(agent.logs.filter((entry) => /cannot be read/.test(entry.message)).length, 1, 'reported once');
    });

    it('with --exit-when-caught-up exits 3 naming the file it cannot read once the others are shipped, keeps its checkpoint, and reads it from there once readable: nothing lost, nothing twice', async () => {
      const workspace = new AgentWorkspace();
      writeFileSync(workspace.livePath, `${event('a')}\n${event('b')}\n`);
      const first = workspace.startAs(NOBODY, ['--exit-when-caught-up']);
      assert.equal((await first.waitForExit()).code, 0, first.tail());
      // While the agent is down: more is written, the file rotates, and its backup is locked.
      const backup = path.join(workspace.logDir, 'audit-2026-01-01T00-00-00.000.log');
      appendFileSync(workspace.livePath, `${event('c')}\n`);
      renameSync(workspace.livePath, backup);
      writeFileSync(workspace.livePath, `${event('d')}\n`);
      chmodSync(backup, 0o600);
      const locked = workspace.startAs(NOBODY, ['--exit-when-caught-up']);
      assert.equal((await locked.waitForExit(60_000)).code, 3, locked.tail());
      assert.deepEqual(readFileSinkOutput(workspace.outputPath).keys, ['a/ResponseComplete', 'b/ResponseComplete', 'd/ResponseComplete']);
      const [named] = locked.logsWith('caught up on every file that could be read, but these files of the log could not be read: their events may be missing from the sink');
      assert.deepEqual(
        (named?.files as Array<{ path: string; code: string }> | undefined)?.map((file) => [file.path, file.code]),
        [[backup, 'EACCES']],
        locked.tail(),
      );
      assert.equal(locked.logsWith('audit data lost: file gone before it was read to its end').length, 0, 'on disk, not lost');
      const held = readCheckpointView(workspace.checkpointDir).files.find((file) => file.offset === Buffer.byteLength(`${event('a')}\n${event('b')}\n`));
      assert.ok(held, 'the checkpoint keeps the locked file at its acknowledged offset');
      chmodSync(backup, 0o644);
      const unlocked = workspace.startAs(NOBODY, ['--exit-when-caught-up']);
      assert.equal((await unlocked.waitForExit(60_000)).code, 0, unlocked.tail());
      assert.deepEqual(readFileSinkOutput(workspace.outputPath).keys, ['a/ResponseComplete', 'b/ResponseComplete', 'd/ResponseComplete', 'c/ResponseComplete']);
      assert.equal(unlocked.logsWith('audit data lost: file gone before it was read to its end').length, 0);
    });

    it('counts a .gz whose read permission went after the agent identified it in unreadable_files, reports it once, and ships each of its lines once when it can read it again', async () => {
      // A Forward server that never reads holds the older backup's first chunk unacknowledged, so
      // reading pauses with the .gz identified (fingerprinted through gzip) but not read yet.
      const stalled = await FaultInjectingForwardServer.start({ stallReads: true });
      const port = stalled.port;
      const workspace = new AgentWorkspace();
      const older = Array.from({ length: 1_000 }, (_, index) => event(`older-${index}`, { pad: 'x'.repeat(300) }));
      writeFileSync(path.join(workspace.logDir, 'audit-2026-01-01T00-00-00.000.log'), `${older.join('\n')}\n`);
      const gz = path.join(workspace.logDir, 'audit-2026-01-01T01-00-00.000.log.gz');
      writeFileSync(gz, gzipSync(`${event('gz-1')}\n${event('gz-2')}\n`));
      writeFileSync(workspace.livePath, `${event('live')}\n`);
      let server: FaultInjectingForwardServer | undefined;
      const agent = workspace.startAs(NOBODY, ['--max-inflight-bytes', '64KiB', '--batch-max-bytes', '64KiB'], ['--sink', 'forward', '--forward-servers', `127.0.0.1:${port}`]);
      try {
        const listening = await agent.waitForLog((entry) => entry.message === 'http endpoints listening');
        await agent.waitForLog((entry) => entry.message === 'tracking a new file' && entry.file === gz);
        chmodSync(gz, 0o600);
        await stalled.close();
        server = await FaultInjectingForwardServer.start({}, port);
        const complaint = await agent.waitForLog((entry) => /cannot be read/.test(entry.message) && entry.path === gz, 60_000);
        assert.equal(complaint.code, 'EACCES');
        assert.equal(await scrapedUnreadableFiles(String(listening.url)), 1);
        const live = server;
        await waitUntil(() => live.records.some((record) => record.auditID === 'live'), 60_000, 'the live file, read past the locked .gz');
        assert.ok(!live.records.some((record) => String(record.auditID).startsWith('gz-')), 'a line of the locked .gz shipped');
        chmodSync(gz, 0o644);
        await waitUntil(() => live.records.some((record) => record.auditID === 'gz-2'), 60_000, 'the .gz once readable');
        await agent.waitForLog((entry) => /can be read again/.test(entry.message) && entry.path === gz);
        assert.equal(await scrapedUnreadableFiles(String(listening.url)), 0);
      } finally {
        agent.kill('SIGTERM');
        await agent.waitForExit();
        await server?.close();
      }
      assert.equal(agent.logs.filter((entry) => /cannot be read/.test(entry.message)).length, 1, 'reported once');
      const shipped = server!.records.map((record) => String(record.auditID));
      const expected = [...older.map((_, index) => `older-${index}`), 'gz-1', 'gz-2', 'live'];
      assert.deepEqual([...shipped].sort(), [...expected].sort(), 'every line once');
    });

    it('gives --start-at end to a file that was on disk but unreadable when the agent started, once it can read it', async () => {
      const workspace = new AgentWorkspace();
      const backup = path.join(workspace.logDir, 'audit-2026-01-01T00-00-00.000.log');
      writeFileSync(backup, `${event('old')}\n`);
      writeFileSync(workspace.livePath, `${event('before-start')}\n`);
      chmodSync(backup, 0o600);
      const agent = workspace.startAs(NOBODY, ['--start-at', 'end']);
      await agent.waitForLog((entry) => /cannot be read/.test(entry.message));
      // Written once the live file's start is decided (at its end then), so it is a line to ship.
      await agent.waitForLog((entry) => entry.message === 'tracking a new file' && entry.file === workspace.livePath);
      appendFileSync(workspace.livePath, `${event('new')}\n`);
      await waitUntil(() => readFileSinkOutput(workspace.outputPath).keys.includes('new/ResponseComplete'), 30_000, 'the line written after the start');
      chmodSync(backup, 0o644);
      const found = await agent.waitForLog((entry) => entry.message === 'tracking a new file' && entry.file === backup);
      assert.equal(found.origin, 'start-at-end');
      agent.kill('SIGTERM');
      assert.equal((await agent.waitForExit()).code, 0);
      assert.deepEqual(readFileSinkOutput(workspace.outputPath).keys, ['new/ResponseComplete']);
    });
  });

  it('keeps retrying a failing sink without checkpointing, then reports the byte range of a file deleted meanwhile', async () => {
    const workspace = new AgentWorkspace();
    writeFileSync(workspace.livePath, `${event('a')}\n${event('b')}\n`);
    const size = Buffer.byteLength(`${event('a')}\n${event('b')}\n`);
    // /dev/full rejects every write (ENOSPC): a sink that is up but refuses the data.
    const failing = workspace.start(['--file-path', '/dev/full', '--retry-min-ms', '10', '--retry-max-ms', '50', '--shutdown-timeout-ms', '200']);
    await failing.waitForLog((entry) => entry.message === 'sending a batch failed; it will be retried');
    const checkpoint = path.join(workspace.checkpointDir, 'checkpoint.json');
    await waitUntil(() => checkpointedSize(checkpoint) === size, 30_000, 'the file size in the checkpoint');
    failing.kill('SIGTERM');
    assert.equal((await failing.waitForExit()).code, 0);
    assert.equal(failing.logsWith('agent stopped')[0]!.drained, false);
    rmSync(workspace.livePath); // maxbackup deleted it while the agent was down
    writeFileSync(workspace.livePath, `${event('d')}\n`);
    const agent = await workspace.catchUp();
    const [loss] = agent.logs.filter((entry) => entry.message === 'audit data lost: file gone before it was read to its end');
    assert.ok(loss, agent.tail());
    assert.equal(loss.lostFromByte, 0);
    assert.equal(loss.lostToByte, size);
    assert.equal(loss.reason, 'deleted while the agent was not running');
    assert.equal(typeof loss.fingerprint, 'string');
    assert.equal(agent.logsWith('agent stopped')[0]!.bytesLost, size);
    assert.deepEqual(readFileSinkOutput(workspace.outputPath).keys, ['d/ResponseComplete']);
  });

  it('passes every real corpus event through byte-identical', async () => {
    const workspace = new AgentWorkspace();
    const lines = jsonLinesCorpusFiles().flatMap(rawLines);
    writeFileSync(workspace.livePath, Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')])));
    // No processor may change them: redaction and detection annotations are what would.
    await workspace.catchUp(['--no-redaction', '--no-detections']);
    const shipped = readFileSinkOutput(workspace.outputPath).lines;
    assert.equal(shipped.length, lines.length);
    shipped.forEach((line, index) => assert.ok(line.equals(lines[index]!), `line ${index} differs`));
  });
});
