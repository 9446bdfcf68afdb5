import assert from 'node:assert/strict';
import { PermanentSinkError } from '../../../../src/sinks/sink.js';
import { ForwardProtocolError } from '../../../../src/sinks/forward/forward-errors.js';
import { buildPing, parseHelo, sharedKeyDigest, verifyPong, type Helo } from '../../../../src/sinks/forward/handshake.js';

// Known answers computed outside this code base (Python hashlib) from the spec's formulas:
// PING/PONG digest = sha512_hex(shared_key_salt + hostname + nonce + shared_key),
// password digest  = sha512_hex(auth_salt + username + password).
const NONCE = Uint8Array.from({ length: 16 }, (_, index) => index);
const AUTH_SALT = Uint8Array.from({ length: 16 }, (_, index) => 100 + index);
const SALT = 'salt0123';
const CLIENT_DIGEST =
  '56474ef87b76730b51b50ea5c55794a68ab6ba01e3deac7a039c79a430db4852b6684e4310125a342b9f89c379af7de650cfb916f4898485fbf8ab43fb92622a';
const SERVER_DIGEST =
  '92bfb0c74363cee9ef09cdf5a67a99e2f940e59a416144415fb623ff0b61a880ce4339d680c6c3c06a4196c6f1aabaf8c79e7589f7a92ff875da6259c194de2e';
const PASSWORD_DIGEST =
  'e09eb9054574a75114601c15fc392160467299503a760c935152d31755142833973f881b78d8aaf5986dd09a50059141f793229e022e3851df5288291e3febbb';

const credentials = { selfHostname: 'agent.example', sharedKey: 'secret-key' };
const helo: Helo = { nonce: NONCE, authSalt: new Uint8Array(0), keepalive: true };

describe('Forward handshake (HELO / PING / PONG)', () => {
  it('computes the shared-key digest as the spec defines it', () => {
    assert.equal(sharedKeyDigest(SALT, 'agent.example', NONCE, 'secret-key'), CLIENT_DIGEST);
  });

  it('reads HELO whether nonce and auth salt come as bin or as str, and keepalive defaults to true', () => {
    assert.deepEqual(parseHelo(['HELO', { nonce: NONCE, auth: AUTH_SALT, keepalive: false }]), {
      nonce: NONCE,
      authSalt: AUTH_SALT,
      keepalive: false,
    });
    const fromStrings = parseHelo(['HELO', { nonce: 'abc', auth: '' }]);
    assert.deepEqual([...fromStrings.nonce], [0x61, 0x62, 0x63]);
    assert.equal(fromStrings.authSalt.length, 0);
    assert.equal(fromStrings.keepalive, true);
  });

  it('rejects a first message that is not HELO as a protocol error', () => {
    assert.throws(() => parseHelo({ ack: 'x' }), ForwardProtocolError);
    assert.throws(() => parseHelo(['HELO', { auth: '' }]), /without a nonce/);
  });

  it('builds PING with empty user fields when the server asks for no user authentication', () => {
    assert.deepEqual(buildPing(helo, credentials, SALT).message, ['PING', 'agent.example', SALT, CLIENT_DIGEST, '', '']);
  });

  it('builds PING with the user name and password digest when HELO carries an auth salt', () => {
    const ping = buildPing({ ...helo, authSalt: AUTH_SALT }, { ...credentials, username: 'alice', password: 'wonderland' }, SALT);
    assert.deepEqual(ping.message, ['PING', 'agent.example', SALT, CLIENT_DIGEST, 'alice', PASSWORD_DIGEST]);
  });

  it('fails permanently, naming the flags, when the server wants a user but none is configured', () => {
    assert.throws(
      () => buildPing({ ...helo, authSalt: AUTH_SALT }, credentials, SALT),
      (error: Error) => error instanceof PermanentSinkError && /--forward-username and --forward-password/.test(error.message),
    );
  });

  it('accepts a PONG whose digest proves the server knows the shared key', () => {
    const ping = buildPing(helo, credentials, SALT);
    assert.equal(verifyPong(['PONG', true, '', 'fluentd.example', SERVER_DIGEST], helo, ping, credentials), 'fluentd.example');
  });

  it('fails permanently with the server\'s reason when it refuses us', () => {
    const ping = buildPing(helo, credentials, SALT);
    assert.throws(
      () => verifyPong(['PONG', false, 'shared key mismatch', 'fluentd.example', ''], helo, ping, credentials),
      (error: Error) => error instanceof PermanentSinkError && error.message === 'the forward server refused authentication: shared key mismatch',
    );
  });

  it('fails permanently when the server accepts us but its digest was made with another key (an impostor)', () => {
    const ping = buildPing(helo, credentials, SALT);
    const impostorDigest = sharedKeyDigest(SALT, 'fluentd.example', NONCE, 'guessed-key');
    assert.throws(
      () => verifyPong(['PONG', true, '', 'fluentd.example', impostorDigest], helo, ping, credentials),
      (error: Error) => error instanceof PermanentSinkError && /does not know --forward-shared-key/.test(error.message),
    );
  });

  it('fails permanently when the server has our own hostname, as Fluentd does', () => {
    const ping = buildPing(helo, credentials, SALT);
    const digest = sharedKeyDigest(SALT, 'agent.example', NONCE, 'secret-key');
    assert.throws(() => verifyPong(['PONG', true, '', 'agent.example', digest], helo, ping, credentials), /same hostname/);
  });
});
