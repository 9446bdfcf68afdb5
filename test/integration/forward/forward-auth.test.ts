import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PermanentSinkError, type Sink } from '../../../src/sinks/sink.js';
import { waitUntil } from '../../helpers/agent-process.js';
import { batchOf, sampleEvent } from '../../helpers/forward/audit-records.js';
import { freePort, runServerScript } from '../../helpers/forward/server-scripts.js';
import { forwardSinkFromFlags } from '../../helpers/forward/sink-from-flags.js';

/** A received entry as scripts/forward/auth-server.mjs writes it. */
interface AuthServerEntry {
  tag: string;
  seconds: number;
  nanoseconds: number;
  record: Record<string, unknown>;
}

function readEntries(file: string): AuthServerEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as AuthServerEntry);
}

/**
 * Handshake and TLS against @fluent-org/logger's FluentServer (scripts/forward-auth-server.sh):
 * an independent implementation of HELO/PING/PONG with shared key and users, and of TLS.
 */
describe('forward sink: shared-key and user authentication, TLS (FluentServer of @fluent-org/logger)', function () {
  this.timeout(120_000);
  const root = mkdtempSync(path.join(tmpdir(), 'kaf-forward-auth-'));
  const sharedKey = 'kaf-it-shared-key';
  let tlsServer: Record<string, string>;
  let plainServer: Record<string, string>;
  const serverArgs: string[][] = [];
  const sinks: Sink[] = [];

  before(async () => {
    const tlsArgs = ['--port', String(await freePort()), '--dir', path.join(root, 'tls'), '--shared-key', sharedKey];
    tlsServer = await runServerScript('forward-auth-server.sh', ['start', ...tlsArgs, '--user', 'auditor:s3cret', '--tls', '--client-auth']);
    serverArgs.push(tlsArgs);
    const plainArgs = ['--port', String(await freePort()), '--dir', path.join(root, 'plain'), '--shared-key', sharedKey];
    plainServer = await runServerScript('forward-auth-server.sh', ['start', ...plainArgs]);
    serverArgs.push(plainArgs);
  });

  after(async () => {
    for (const args of serverArgs) await runServerScript('forward-auth-server.sh', ['stop', ...args]);
  });

  afterEach(async () => {
    for (const sink of sinks.splice(0)) await sink.close();
  });

  async function sink(flags: string[]): Promise<Sink> {
    const created = await forwardSinkFromFlags([
      '--forward-connect-timeout-ms', '5000',
      '--forward-ack-timeout-ms', '5000',
      '--forward-self-hostname', 'kaf-agent.test',
      ...flags,
    ]);
    sinks.push(created);
    return created;
  }

  function tlsFlags(server: Record<string, string>): string[] {
    return [
      '--forward-servers', server.FORWARD_AUTH_SERVER_ADDRESS,
      '--forward-tls-ca-file', server.FORWARD_AUTH_SERVER_TLS_CA,
      '--forward-tls-cert-file', server.FORWARD_AUTH_SERVER_TLS_CLIENT_CERT,
      '--forward-tls-key-file', server.FORWARD_AUTH_SERVER_TLS_CLIENT_KEY,
    ];
  }

  it('delivers over TLS with a client certificate, shared key and user/password; records and EventTime arrive intact', async () => {
    const forward = await sink([...tlsFlags(tlsServer), '--forward-shared-key', sharedKey, '--forward-username', 'auditor', '--forward-password', 's3cret']);
    await forward.start();
    const events = [sampleEvent(1), sampleEvent(2), sampleEvent(3)];
    await forward.send(batchOf(events));
    const output = tlsServer.FORWARD_AUTH_SERVER_OUTPUT;
    await waitUntil(() => readEntries(output).length >= 3, 10_000, 'three entries at the auth server');
    const entries = readEntries(output);
    assert.deepEqual(entries.map((entry) => entry.record), events);
    assert.deepEqual(entries.map((entry) => [entry.tag, entry.seconds, entry.nanoseconds]), events.map(() => ['kube.audit', 1714557600, 123456000]));
  });

  it('authenticates with the shared key alone when the server asks for no user, with gzip compression', async () => {
    const forward = await sink(['--forward-servers', plainServer.FORWARD_AUTH_SERVER_ADDRESS, '--forward-shared-key', sharedKey, '--forward-compression', 'gzip']);
    await forward.start();
    await forward.send(batchOf([sampleEvent(10)]));
    const output = plainServer.FORWARD_AUTH_SERVER_OUTPUT;
    await waitUntil(() => readEntries(output).some((entry) => entry.record.auditID === sampleEvent(10).auditID), 10_000, 'the entry');
  });

  it('a wrong shared key fails with a permanent error that says so', async () => {
    const forward = await sink(['--forward-servers', plainServer.FORWARD_AUTH_SERVER_ADDRESS, '--forward-shared-key', 'not-the-key']);
    await forward.start();
    await assert.rejects(
      forward.send(batchOf([sampleEvent(20)])),
      (error: Error) =>
        error instanceof PermanentSinkError &&
        /the forward server refused authentication: shared key mismatch/.test(error.message),
    );
    assert.equal(forward.health().ready, false);
    assert.match(forward.health().detail, /shared key mismatch/);
  });

  it('a wrong password fails with a permanent error naming the user check', async () => {
    const forward = await sink([...tlsFlags(tlsServer), '--forward-shared-key', sharedKey, '--forward-username', 'auditor', '--forward-password', 'guess']);
    await forward.start();
    await assert.rejects(forward.send(batchOf([sampleEvent(21)])), /refused authentication: username\/password mismatch/);
  });

  it('a server that requires user authentication is refused clearly when no user is configured', async () => {
    const forward = await sink([...tlsFlags(tlsServer), '--forward-shared-key', sharedKey]);
    await forward.start();
    await assert.rejects(forward.send(batchOf([sampleEvent(22)])), /requires user authentication: set --forward-username and --forward-password/);
  });

  it('a server certificate from an unknown CA fails permanently instead of sending the audit trail', async () => {
    const forward = await sink(['--forward-servers', tlsServer.FORWARD_AUTH_SERVER_ADDRESS, '--forward-tls', '--forward-shared-key', sharedKey]);
    await forward.start();
    await assert.rejects(
      forward.send(batchOf([sampleEvent(23)])),
      (error: Error) => error instanceof PermanentSinkError && /TLS to 127\.0\.0\.1:\d+: .*(self-signed|unable to verify)/i.test(error.message),
    );
  });

  it('without the client certificate the mutual-TLS server refuses the connection', async () => {
    const forward = await sink([
      '--forward-servers', tlsServer.FORWARD_AUTH_SERVER_ADDRESS,
      '--forward-tls-ca-file', tlsServer.FORWARD_AUTH_SERVER_TLS_CA,
      '--forward-shared-key', sharedKey, '--forward-username', 'auditor', '--forward-password', 's3cret',
    ]);
    await forward.start();
    await assert.rejects(forward.send(batchOf([sampleEvent(24)])));
    assert.equal(readEntries(tlsServer.FORWARD_AUTH_SERVER_OUTPUT).some((entry) => entry.record.auditID === sampleEvent(24).auditID), false);
  });
});
