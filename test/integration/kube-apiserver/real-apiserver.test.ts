import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AgentProcess, waitUntil, type LogEntry } from '../../helpers/agent-process.js';
import { readCheckpointView } from '../../helpers/checkpoint-view.js';
import { freePort } from '../../helpers/forward/server-scripts.js';
import { readFileSinkOutput } from '../../helpers/sink-output.js';
import { ApiTraffic } from './api-traffic.js';
import { auditFileNames, auditKeysOnDisk } from './audit-files.js';
import { KubeCluster, TOKENS, kubeBinaries } from './kube-cluster.js';

/** How long a wait on the agent or the apiserver may take on a loaded machine. */
const WAIT_MS = 300_000;

describe('against a real kube-apiserver: lumberjack rotation, gzip and maxbackup deletion of its audit log', function () {
  this.timeout(1_200_000);
  let binaries: string;

  before(async function () {
    // A cold build compiles kube-apiserver and etcd: `make test` starts it before the first test
    // and runs these tests last, so this waits for the rest of that build (the script's lock).
    this.timeout(3_600_000);
    binaries = await kubeBinaries();
  });

  it('ships every (auditID, stage) of the files on disk through SIGKILLs of the agent, no Secret value, and reports a backup that maxbackup deleted unread as lost', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'kaf-kube-'));
    const cluster = new KubeCluster(binaries, root, { maxSizeMb: 1, maxBackups: 2 });
    const checkpointDir = path.join(root, 'checkpoint');
    const outputPath = path.join(root, 'out.jsonl');
    const common = ['run', '--path', cluster.auditLogPath, '--checkpoint-dir', checkpointDir, '--poll-interval-ms', '100', '--checkpoint-interval-ms', '100'];
    const fileAgent = () => new AgentProcess([...common, '--sink', 'file', '--file-path', outputPath, '--batch-linger-ms', '20']);
    const agents: AgentProcess[] = [];
    const start = () => {
      agents.push(fileAgent());
      return agents[agents.length - 1]!;
    };
    const sinkBytes = () => (existsSync(outputPath) ? statSync(outputPath).size : 0);
    const allOnDiskDelivered = () => {
      const delivered = new Set(readFileSinkOutput(outputPath).keys);
      return [...auditKeysOnDisk(cluster.auditDir)].filter((key) => !delivered.has(key));
    };
    await cluster.start();
    const admin = cluster.client(TOKENS.admin);
    const traffic = new ApiTraffic(admin, cluster.client(), cluster.client(TOKENS.nobody), cluster.client('not-a-token'));
    /** Traffic until `condition` holds, a bounded number of rounds (each is a few hundred KB of audit log). */
    const roundsUntil = async (condition: () => boolean, what: string) => {
      for (let round = 0; !condition(); round += 1) {
        if (round === 100) throw new Error(`no ${what} after ${round} rounds of traffic`);
        await traffic.oneRound();
      }
    };
    try {
      await traffic.createNamespace();

      // 1. Traffic runs while the agent ships; it is SIGKILLed three times, each time once it
      //    delivered more since its start, and started again at once.
      let agent = start();
      let trafficOn = true;
      const background = (async () => {
        while (trafficOn) await traffic.oneRound();
      })();
      for (let kill = 0; kill < 3; kill += 1) {
        const before = sinkBytes();
        await waitUntil(() => sinkBytes() > before + 256 * 1024, WAIT_MS, `agent ${agents.length - 1} to ship; its logs:\n${agent.tail(10)}`);
        agent.kill('SIGKILL');
        await agent.waitForExit();
        agent = start();
      }
      trafficOn = false;
      await background;
      await waitUntil(() => allOnDiskDelivered().length === 0, WAIT_MS, `every record on disk after the kills; agent logs:\n${agent.tail(10)}`);
      agent.kill('SIGTERM');
      assert.equal((await agent.waitForExit()).code, 0);
      assert.ok(auditFileNames(cluster.auditDir).some((name) => name.endsWith('.log.gz')), 'the apiserver rotated and gzipped its log meanwhile');

      // 2. The sink goes down (the next agent's forward port has no server): the agent reads no
      //    further but follows the directory while the apiserver rotates twice, and checkpoints
      //    the backups with their unread bytes. It is killed, and the apiserver's maxbackup
      //    deletes those backups before any agent could read them.
      const stuck = new AgentProcess([...common, '--sink', 'forward', '--forward-servers', `127.0.0.1:${await freePort()}`, '--max-inflight-bytes', '65536', '--batch-max-bytes', '16384']);
      agents.push(stuck);
      await stuck.waitForLog((entry) => entry.message === 'agent started', WAIT_MS);
      // A backup counts once, whether its `.log` or its `.gz` is on disk.
      const stem = (file: string) => path.basename(file).replace(/\.gz$/, '');
      const unreadBackups = () =>
        readCheckpointView(checkpointDir).files.filter((row) => path.basename(row.file) !== 'audit.log' && row.offset < row.knownSize);
      await roundsUntil(() => unreadBackups().length >= 2, `two unread backups in the checkpoint of the agent whose sink is down; its logs:\n${stuck.tail(10)}`);
      await stuck.freeze();
      const unread = unreadBackups();
      stuck.kill('SIGKILL');
      await stuck.waitForExit();
      const unreadOnDisk = () => auditFileNames(cluster.auditDir).filter((name) => unread.some((row) => stem(row.file) === stem(name)));
      await roundsUntil(() => unreadOnDisk().length === 0, 'maxbackup to delete the unread backups');

      // 3. The next agent reports each of them lost with the byte range its checkpoint had left
      //    unread, and ships the rest.
      agent = start();
      const lossOf = (row: (typeof unread)[number]) => (entry: LogEntry) =>
        entry.message.startsWith('audit data lost') && stem(String(entry.file)) === stem(row.file);
      for (const row of unread) {
        const report = await agent.waitForLog(lossOf(row), WAIT_MS);
        assert.deepEqual([report.lostFromByte, report.lostToByte], [row.offset, row.knownSize], `loss report of ${stem(row.file)}`);
      }
      for (let round = 0; round < 3; round += 1) await traffic.oneRound();
      await cluster.stop();
      await waitUntil(() => allOnDiskDelivered().length === 0, WAIT_MS, `every record on disk at the end; agent logs:\n${agent.tail(10)}`);
      agent.kill('SIGTERM');
      assert.equal((await agent.waitForExit()).code, 0);

      // Every (auditID, stage) the apiserver's files hold arrived, the Secrets' events among them,
      // but no Secret value did: the policy logs Secrets at Metadata, and the agent's redaction stands behind it.
      assert.deepEqual(allOnDiskDelivered(), []);
      const lossReports = agent.logs.filter((entry) => entry.message.startsWith('audit data lost'));
      const summary = agent.logsWith('agent stopped')[0];
      assert.equal(summary?.bytesLost, lossReports.reduce((sum, entry) => sum + Number(entry.lostBytes), 0), 'bytes_lost_total adds up the reports');
      assert.ok(Number(summary?.bytesLost) > 0);
      const output = readFileSync(outputPath, 'utf8');
      for (const value of traffic.secretValues) {
        assert.ok(!output.includes(value) && !output.includes(Buffer.from(value).toString('base64')), 'a Secret value reached the sink');
      }
      const events = output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { verb?: string; user?: { username?: string }; objectRef?: { resource?: string }; responseStatus?: { code?: number } });
      const seen = (what: string, predicate: (event: (typeof events)[number]) => boolean) => assert.ok(events.some(predicate), `no ${what} in the sink`);
      seen('Secret create', (event) => event.verb === 'create' && event.objectRef?.resource === 'secrets');
      seen('watch', (event) => event.verb === 'watch' && event.objectRef?.resource === 'configmaps');
      seen('anonymous refusal', (event) => event.user?.username === 'system:anonymous' && event.responseStatus?.code === 403);
      seen('refusal of a user without rights', (event) => event.user?.username === 'kaf-nobody' && event.responseStatus?.code === 403);
      seen('wrong token', (event) => event.responseStatus?.code === 401);
      rmSync(root, { recursive: true, force: true });
    } finally {
      for (const running of agents) running.kill('SIGKILL');
      await cluster.stop();
      admin.close();
    }
  });
});
