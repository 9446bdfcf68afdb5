import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { AuditEventFactory } from '../../helpers/audit-event-factory.js';
import { AgentWorkspace } from '../../helpers/agent-fixture.js';
import { CLI_PATH, waitUntil } from '../../helpers/agent-process.js';
import { misalignedCells } from '../../helpers/column-alignment.js';
import { LumberjackWriter } from '../../helpers/lumberjack-writer.js';
import { duplicateCount, missingKeys, readFileSinkOutput } from '../../helpers/sink-output.js';
import { writeInBursts, writtenKeys } from '../../helpers/writer-driver.js';

const run = promisify(execFile);

function event(id: string): string {
  return JSON.stringify({ kind: 'Event', auditID: id, stage: 'ResponseComplete' });
}

/** Resident set size of a process in bytes, from /proc. */
function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
}

describe('start modes, copytruncate, and the CLI', function () {
  this.timeout(180_000);

  it('--start-at end skips what is on disk at the first start and ships what comes after', async () => {
    const workspace = new AgentWorkspace();
    writeFileSync(workspace.livePath, `${event('old-1')}\n${event('old-2')}\n`);
    const agent = workspace.start(['--start-at', 'end']);
    await agent.waitForLog((entry) => entry.message === 'agent started');
    await waitUntil(() => {
      try {
        return readFileSync(path.join(workspace.checkpointDir, 'checkpoint.json'), 'utf8').includes('offset');
      } catch {
        return false;
      }
    }, 30_000, 'a first checkpoint');
    appendFileSync(workspace.livePath, `${event('new')}\n`);
    await waitUntil(() => readFileSinkOutput(workspace.outputPath).keys.length === 1, 30_000, 'the new event');
    agent.kill('SIGTERM');
    assert.equal((await agent.waitForExit()).code, 0);
    assert.deepEqual(readFileSinkOutput(workspace.outputPath).keys, ['new/ResponseComplete']);
  });

  it('waits for a log directory that does not exist yet', async () => {
    const workspace = new AgentWorkspace();
    const livePath = path.join(workspace.root, 'later', 'audit.log');
    const agent = workspace.start(['--path', livePath]);
    await agent.waitForLog((entry) => entry.message === 'log directory cannot be listed; waiting for it');
    mkdirSync(path.dirname(livePath));
    writeFileSync(livePath, `${event('a')}\n`);
    await waitUntil(() => readFileSinkOutput(workspace.outputPath).keys.length === 1, 30_000, 'the event');
    agent.kill('SIGTERM');
    assert.equal((await agent.waitForExit()).code, 0);
  });

  it('--exit-when-caught-up with a missing log directory exits 0 at once, saying the directory is missing: there is nothing to catch up', async () => {
    const workspace = new AgentWorkspace();
    const startedAt = performance.now();
    const agent = await workspace.catchUp(['--path', path.join(workspace.root, 'nowhere', 'audit.log')]);
    assert.ok(performance.now() - startedAt < 30_000);
    assert.equal(agent.logsWith('log directory cannot be listed; waiting for it').length, 1);
    assert.equal(agent.logsWith('agent stopped')[0]?.linesRead, 0);
  });

  it('follows logrotate copytruncate (copy, then truncate in place) without losing what it had read', async () => {
    const workspace = new AgentWorkspace();
    const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 128 * 1024, copyTruncate: true, compress: true });
    const factory = new AuditEventFactory({ seed: 11, requestResponseFraction: 0 });
    const agent = workspace.start();
    await agent.waitForLog((entry) => entry.message === 'agent started');
    await writeInBursts(writer, factory, 10_000, 100);
    await writer.close();
    const written = writtenKeys(writer);
    await waitUntil(() => missingKeys(written, readFileSinkOutput(workspace.outputPath)).length === 0, 60_000, 'every auditID');
    agent.kill('SIGTERM');
    assert.equal((await agent.waitForExit()).code, 0);
    assert.ok(writer.stats.truncations + writer.stats.rotations >= 50);
    const truncations = agent.logsWith('audit log truncated in place; reading it again from offset 0 as a new generation');
    assert.ok(truncations.length > 0, 'truncations were detected');
    assert.equal(agent.logsWith('agent stopped')[0]!.bytesLost, 0);
    // A read racing a truncation must not pass new bytes off as the old file's tail.
    assert.equal(duplicateCount(readFileSinkOutput(workspace.outputPath)), 0);
  });

  it('keeps memory flat while the sink rejects everything and the log keeps growing', async () => {
    const workspace = new AgentWorkspace();
    const writer = new LumberjackWriter({ dir: workspace.logDir, maxSizeBytes: 4 * 1024 * 1024 });
    const factory = new AuditEventFactory({ seed: 3 });
    const agent = workspace.start(['--file-path', '/dev/full', '--retry-min-ms', '10', '--retry-max-ms', '100', '--max-inflight-bytes', '4MiB', '--shutdown-timeout-ms', '300']);
    writer.writeMany(factory.lines(20_000));
    await agent.waitForLog((entry) => entry.message === 'sending a batch failed; it will be retried');
    const samples: number[] = [];
    for (let round = 0; round < 5; round++) {
      writer.writeMany(factory.lines(20_000)); // ~24 MB per round, 5× the in-flight budget in all
      const logged = agent.logs.length;
      await waitUntil(() => agent.logs.length > logged, 30_000, 'the agent to keep retrying');
      samples.push(rssBytes(agent.pid));
    }
    agent.kill('SIGTERM');
    await agent.waitForExit();
    await writer.close();
    const growth = samples.at(-1)! - samples[0]!;
    console.log(`      RSS while the sink rejects: ${samples.map((bytes) => (bytes / 1e6).toFixed(0)).join(', ')} MB; ${(writer.stats.bytesWritten / 1e6).toFixed(0)} MB written`);
    assert.ok(growth < 40 * 1024 * 1024, `RSS grew by ${(growth / 1e6).toFixed(1)} MB over ${writer.stats.bytesWritten / 1e6} MB written`);
    assert.ok(Math.max(...samples) < 200 * 1024 * 1024, `peak RSS ${(Math.max(...samples) / 1e6).toFixed(0)} MB`);
  });

  it('exits 2 with one message naming the option for bad configuration, from flags and from KAF_* variables', async () => {
    const notADirectory = path.join(new AgentWorkspace().root, 'file');
    writeFileSync(notADirectory, 'a file, not a directory');
    const attempts: Array<[string[], Record<string, string>, RegExp]> = [
      [['run', '--batch-max-events', 'many'], {}, /--batch-max-events: "many" is not an integer/],
      [['run', '--start-at', 'middle'], {}, /--start-at: "middle" is not one of checkpoint, beginning, end/],
      [['run'], { KAF_MAX_INFLIGHT_BYTES: '10x' }, /KAF_MAX_INFLIGHT_BYTES: "10x" is not a size/],
      [['run'], { KAF_SINK: 'nosuch' }, /KAF_SINK: "nosuch" is not one of file, stdout, kafka, forward/],
      [['run'], { KAF_REDACTION: 'maybe' }, /KAF_REDACTION: "maybe" is not a boolean/],
      [['run', '--redaction=maybe'], {}, /--redaction: "maybe" is not a boolean/],
      [['run'], { KAF_FILE_FSYNC: 'maybe' }, /KAF_FILE_FSYNC: "maybe" is not a boolean/],
      [['run'], { KAF_SINKK: 'file' }, /KAF_SINKK is not a setting \(did you mean KAF_SINK\?\)/],
      [['run', '--unknown-flag'], {}, /Unknown argument/],
      [['run', '--checkpoint-dir', '/proc/x'], {}, /--checkpoint-dir: cannot create \/proc\/x: ENOENT/],
      [['run'], { KAF_CHECKPOINT_DIR: '/proc/x' }, /KAF_CHECKPOINT_DIR: cannot create \/proc\/x: ENOENT/],
      [['run', '--checkpoint-dir', notADirectory], {}, new RegExp(`--checkpoint-dir: ${notADirectory} exists and is not a directory`)],
      [['run', '--checkpoint-dir', path.join(path.dirname(notADirectory), 'checkpoint'), '--dead-letter-dir', '/proc/x/dead-letter'], {}, /--dead-letter-dir: cannot create \/proc\/x: ENOENT/],
      [['run', '--checkpoint-dir', path.join(path.dirname(notADirectory), 'checkpoint'), '--sink', 'kafka', '--kafka-brokers', '127.0.0.1:9', '--kafka-dead-letter-dir', '/proc/x/kafka'], {}, /--kafka-dead-letter-dir: cannot create \/proc\/x: ENOENT/],
      [['run', '--checkpoint-dir', path.join(path.dirname(notADirectory), 'checkpoint')], { KAF_SINK: 'kafka', KAF_KAFKA_BROKERS: '127.0.0.1:9', KAF_KAFKA_DEAD_LETTER_DIR: '/proc/x/kafka' }, /KAF_KAFKA_DEAD_LETTER_DIR: cannot create \/proc\/x: ENOENT/],
      [['run', '--http-host', 'not-an-ip'], {}, /--http-host: "not-an-ip" is not an IP address/],
      [['run'], { KAF_HTTP_HOST: 'not-an-ip' }, /KAF_HTTP_HOST: "not-an-ip" is not an IP address/],
    ];
    for (const [args, env, message] of attempts) {
      // Bounded: an uncreatable checkpoint directory once made the agent spin in mkdir, deaf to SIGTERM.
      const failure = await run(process.execPath, [CLI_PATH, ...args], { env: { ...process.env, KAF_HTTP_PORT: '0', ...env }, timeout: 30_000, killSignal: 'SIGKILL' }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      assert.ok(failure, `${args.join(' ')} should fail`);
      assert.equal(failure.code, 2, failure.stderr);
      assert.match(failure.stderr, message);
      assert.equal(failure.stderr.trim().split('\n').length, 2, 'one message and a pointer to --help');
    }
  });

  it('keeps redaction on for KAF_REDACTION=yes, =1, =on and =TRUE: a Secret value never reaches the sink', async () => {
    const secretValue = Buffer.from('hunter2-in-clear').toString('base64');
    for (const spelling of ['yes', '1', 'on', 'TRUE']) {
      const workspace = new AgentWorkspace();
      const secretEvent = {
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: 'RequestResponse',
        auditID: `secret-${spelling}`,
        stage: 'ResponseComplete',
        verb: 'create',
        objectRef: { resource: 'secrets', namespace: 'default', name: 'db', apiVersion: 'v1' },
        requestObject: { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'db' }, data: { password: secretValue } },
      };
      writeFileSync(workspace.livePath, `${JSON.stringify(secretEvent)}\n`);
      const agent = workspace.start(['--exit-when-caught-up'], { KAF_REDACTION: spelling });
      assert.equal((await agent.waitForExit()).code, 0, agent.tail());
      const shipped = readFileSync(workspace.outputPath, 'utf8');
      assert.ok(shipped.includes(`secret-${spelling}`), 'the event was shipped');
      assert.ok(!shipped.includes(secretValue), `KAF_REDACTION=${spelling} shipped the Secret in clear`);
    }
  });

  it('prints stored positions and lag per file with the checkpoints command, in aligned columns', async () => {
    const workspace = new AgentWorkspace();
    writeFileSync(workspace.livePath, `${event('a')}\n`);
    await workspace.catchUp();
    appendFileSync(workspace.livePath, `${event('b')}\n`);
    const { stdout } = await run(process.execPath, [CLI_PATH, 'checkpoints', '--checkpoint-dir', workspace.checkpointDir, '--path', workspace.livePath]);
    const [, header, row] = stdout.trim().split('\n');
    assert.match(header!, /^FILE\s+FINGERPRINT\s+OFFSET\s+SIZE\s+LAG BYTES\s+STATE$/);
    const offset = Buffer.byteLength(event('a')) + 1;
    assert.match(row!, new RegExp(`${workspace.livePath}\\s+\\w{12}\\s+${offset}\\s+${offset * 2}\\s+${offset}\\s+reading`));
  });

  it('checkpoints matches positions to files by identity: a file rotated while the agent was down keeps its position, the new live file lags by its whole size', async () => {
    const workspace = new AgentWorkspace();
    const done = path.join(workspace.logDir, 'audit-2026-11-27T14-00-00.000.log');
    writeFileSync(done, `${event('done-1')}\n`);
    writeFileSync(workspace.livePath, `${event('a-1')}\n${event('a-2')}\n${event('a-3')}\n`);
    await workspace.catchUp();
    const acknowledged = statSync(workspace.livePath).size;
    // While the agent is down: one more line, rotation (lumberjack's backup name), a new shorter
    // live file, and the finished backup deleted.
    appendFileSync(workspace.livePath, `${event('a-4')}\n`);
    const backup = path.join(workspace.logDir, 'audit-2026-11-27T14-30-01.123.log');
    renameSync(workspace.livePath, backup);
    writeFileSync(workspace.livePath, `${event('b-1')}\n`);
    unlinkSync(done);
    const args = [CLI_PATH, 'checkpoints', '--checkpoint-dir', workspace.checkpointDir, '--path', workspace.livePath];
    const { stdout } = await run(process.execPath, args);
    const [, header, ...rows] = stdout.trim().split('\n');
    const cells = rows.map((row) => row.split(/\s{2,}/));
    assert.deepEqual(
      cells.map(([file, , offset, size, lag, state]) => ({ file, offset, size, lag, state })),
      [
        { file: done, offset: String(Buffer.byteLength(event('done-1')) + 1), size: 'gone', lag: '0', state: 'done' },
        { file: backup, offset: String(acknowledged), size: String(statSync(backup).size), lag: String(Buffer.byteLength(event('a-4')) + 1), state: 'reading' },
        { file: workspace.livePath, offset: '-', size: String(statSync(workspace.livePath).size), lag: String(statSync(workspace.livePath).size), state: 'new' },
      ],
      stdout,
    );
    // Aligned: text columns start, number columns end, where their header does.
    assert.deepEqual(misalignedCells([header, ...rows].join('\n'), ['OFFSET', 'SIZE', 'LAG BYTES']), [], stdout);

    const json = JSON.parse((await run(process.execPath, [...args, '--json'])).stdout) as {
      files: Array<{ file: string; offset: number; lag: number | null; state: string }>;
      untracked: Array<{ file: string; lag: number }>;
    };
    assert.deepEqual(json.files.map(({ file, offset }) => ({ file, offset })), [
      { file: done, offset: Buffer.byteLength(event('done-1')) + 1 },
      { file: backup, offset: acknowledged },
    ]);
    assert.deepEqual(json.untracked.map(({ file, lag }) => ({ file, lag })), [{ file: workspace.livePath, lag: statSync(workspace.livePath).size }]);

    // Pointed at another directory, it does not call the files it cannot see there gone or lost.
    const elsewhere = JSON.parse((await run(process.execPath, [CLI_PATH, 'checkpoints', '--checkpoint-dir', workspace.checkpointDir, '--path', path.join(workspace.root, 'other', 'audit.log'), '--json'])).stdout) as {
      files: Array<{ state: string; sizeOnDisk: number | null }>;
    };
    assert.deepEqual(elsewhere.files.map(({ state, sizeOnDisk }) => ({ state, sizeOnDisk })), [
      { state: 'not under --path', sizeOnDisk: null },
      { state: 'not under --path', sizeOnDisk: null },
    ]);
  });

  it('checkpoints follows files into their .gz by identity, counting decompressed bytes', async () => {
    const workspace = new AgentWorkspace();
    const finished = path.join(workspace.logDir, 'audit-2026-11-27T14-00-00.000.log');
    writeFileSync(finished, `${event('f-1')}\n${event('f-2')}\n`);
    writeFileSync(workspace.livePath, `${event('a-1')}\n`);
    await workspace.catchUp();
    const finishedSize = statSync(finished).size;
    const liveSize = statSync(workspace.livePath).size;
    // While the agent is down: the finished backup is compressed, the live file rotated and compressed.
    writeFileSync(`${finished}.gz`, gzipSync(readFileSync(finished)));
    unlinkSync(finished);
    const rotated = path.join(workspace.logDir, 'audit-2026-11-27T14-30-01.123.log');
    writeFileSync(`${rotated}.gz`, gzipSync(readFileSync(workspace.livePath)));
    unlinkSync(workspace.livePath);
    const { stdout } = await run(process.execPath, [CLI_PATH, 'checkpoints', '--checkpoint-dir', workspace.checkpointDir, '--path', workspace.livePath, '--json']);
    const { files, untracked } = JSON.parse(stdout) as { files: Array<Record<string, unknown>>; untracked: unknown[] };
    assert.deepEqual(
      files.map(({ file, offset, sizeOnDisk, lag, state }) => ({ file, offset, sizeOnDisk, lag, state })),
      [
        { file: `${finished}.gz`, offset: finishedSize, sizeOnDisk: finishedSize, lag: 0, state: 'done' },
        { file: `${rotated}.gz`, offset: liveSize, sizeOnDisk: liveSize, lag: 0, state: 'reading' },
      ],
    );
    assert.deepEqual(untracked, []);
  });
});
