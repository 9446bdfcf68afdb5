import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../../src/config-error.js';
import { forwardOptionGroup } from '../../../../src/sinks/forward/forward-options.js';

/** The parsed argv yargs would give with the group's defaults applied. */
function argvWith(values: Record<string, unknown>): Record<string, unknown> {
  const defaults = Object.fromEntries(
    Object.entries(forwardOptionGroup.options)
      .filter(([, option]) => option.default !== undefined)
      .map(([flag, option]) => [flag, option.default]),
  );
  return { ...defaults, ...values };
}

describe('forward sink options', () => {
  it('reads a server list with default port, IPv6 and the documented defaults', () => {
    const config = forwardOptionGroup.read(argvWith({ 'forward-servers': 'fluentd-a:24225, fluentd-b,[::1]:24226' }));
    assert.deepEqual(
      config.servers.map((server) => [server.host, server.port, server.label]),
      [
        ['fluentd-a', 24225, 'fluentd-a:24225'],
        ['fluentd-b', 24224, 'fluentd-b:24224'],
        ['::1', 24226, '[::1]:24226'],
      ],
    );
    assert.equal(config.tag, 'kube.audit');
    assert.equal(config.compression, 'none');
    assert.equal(config.maxMessageBytes, 2 * 1024 * 1024);
    assert.ok(config.maxMessageBytes < 6_144_000, "well under Fluent Bit's buffer_max_size");
    assert.equal(config.ackTimeoutMs, 30_000);
    assert.equal(config.credentials, undefined);
    assert.equal(config.tls, undefined);
  });

  it('names the flag when the server list is missing or malformed', () => {
    assert.throws(() => forwardOptionGroup.read(argvWith({})), (error: Error) => error instanceof ConfigError && /--forward-servers is required/.test(error.message));
    assert.throws(() => forwardOptionGroup.read(argvWith({ 'forward-servers': 'host:99999' })), /--forward-servers must be host:port/);
  });

  it('reads the shared key and password from files, trimming the trailing newline of a Secret', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'forward-options-'));
    writeFileSync(path.join(dir, 'key'), 'the-key\n');
    writeFileSync(path.join(dir, 'password'), 'the-password\n');
    const config = forwardOptionGroup.read(
      argvWith({
        'forward-servers': 'a:1',
        'forward-shared-key-file': path.join(dir, 'key'),
        'forward-username': 'alice',
        'forward-password-file': path.join(dir, 'password'),
        'forward-self-hostname': 'node-1',
      }),
    );
    assert.deepEqual(config.credentials, { sharedKey: 'the-key', selfHostname: 'node-1', username: 'alice', password: 'the-password' });
  });

  it('refuses a user name without a shared key, since user auth is part of that handshake', () => {
    assert.throws(
      () => forwardOptionGroup.read(argvWith({ 'forward-servers': 'a:1', 'forward-username': 'alice', 'forward-password': 'x' })),
      /--forward-username needs --forward-shared-key/,
    );
  });

  it('turns TLS on by any TLS file and refuses a certificate without its key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'forward-options-'));
    writeFileSync(path.join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n');
    const config = forwardOptionGroup.read(argvWith({ 'forward-servers': 'a:1', 'forward-tls-ca-file': path.join(dir, 'ca.pem') }));
    assert.equal(config.tls?.ca?.startsWith('-----BEGIN CERTIFICATE-----'), true);
    assert.equal(config.tls?.insecureSkipVerify, false);
    assert.throws(
      () => forwardOptionGroup.read(argvWith({ 'forward-servers': 'a:1', 'forward-tls-cert-file': path.join(dir, 'ca.pem') })),
      /--forward-tls-cert-file and --forward-tls-key-file must be given together/,
    );
    assert.throws(
      () => forwardOptionGroup.read(argvWith({ 'forward-servers': 'a:1', 'forward-tls-ca-file': path.join(dir, 'missing.pem') })),
      /--forward-tls-ca-file: cannot read/,
    );
  });

  it('rejects a compression the servers do not know and a message cap that leaves no room', () => {
    assert.throws(() => forwardOptionGroup.read(argvWith({ 'forward-servers': 'a:1', 'forward-compression': 'zstd' })), /--forward-compression: "zstd" is not one of none, gzip$/);
    assert.throws(() => forwardOptionGroup.read(argvWith({ 'forward-servers': 'a:1', 'forward-max-message-bytes': '100' })), /--forward-max-message-bytes: 100 bytes is not between/);
  });
});
