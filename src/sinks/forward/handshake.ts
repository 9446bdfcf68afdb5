import { createHash, randomBytes } from 'node:crypto';
import { PermanentSinkError } from '../sink.js';
import { ForwardProtocolError, describeMessage } from './forward-errors.js';

/**
 * The Forward Protocol v1 handshake (HELO → PING → PONG), checked in both directions: the server
 * proves it knows the shared key too, so the audit trail does not go to an impostor.
 */

export interface HandshakeCredentials {
  selfHostname: string;
  sharedKey: string;
  username?: string;
  password?: string;
}

/** What the server's HELO offers. `authSalt` is empty unless the server wants a user name and password. */
export interface Helo {
  nonce: Uint8Array;
  authSalt: Uint8Array;
  keepalive: boolean;
}

/** The PING we send, and the salt it used (needed to check the server's PONG digest). */
export interface Ping {
  message: [string, string, string, string, string, string];
  sharedKeySalt: string;
}

export function parseHelo(message: unknown): Helo {
  if (!Array.isArray(message) || message[0] !== 'HELO' || message.length !== 2) {
    throw new ForwardProtocolError(`expected HELO, got ${describeMessage(message)}`);
  }
  const options = message[1] as Record<string, unknown> | null;
  if (options === null || typeof options !== 'object') throw new ForwardProtocolError('HELO without an option map');
  const nonce = bytesOf(options.nonce);
  if (nonce === undefined) throw new ForwardProtocolError('HELO without a nonce');
  return {
    nonce,
    authSalt: bytesOf(options.auth) ?? new Uint8Array(0),
    // The spec's default: a server that does not say may keep the connection.
    keepalive: options.keepalive !== false,
  };
}

export function buildPing(helo: Helo, credentials: HandshakeCredentials, salt = randomBytes(16).toString('hex')): Ping {
  const wantsUser = helo.authSalt.length > 0;
  if (wantsUser && (credentials.username === undefined || credentials.password === undefined)) {
    throw new PermanentSinkError(
      'the forward server requires user authentication: set --forward-username and --forward-password',
    );
  }
  const username = wantsUser ? (credentials.username as string) : '';
  const passwordDigest = wantsUser ? sha512Hex(helo.authSalt, username, credentials.password as string) : '';
  return {
    message: [
      'PING',
      credentials.selfHostname,
      salt,
      sharedKeyDigest(salt, credentials.selfHostname, helo.nonce, credentials.sharedKey),
      username,
      passwordDigest,
    ],
    sharedKeySalt: salt,
  };
}

/**
 * Checks the PONG: authentication accepted, and the server's digest made with the same shared key.
 * Returns the server's hostname. Failures are permanent: retrying with the same key cannot help.
 */
export function verifyPong(message: unknown, helo: Helo, ping: Ping, credentials: HandshakeCredentials): string {
  if (!Array.isArray(message) || message[0] !== 'PONG' || message.length !== 5) {
    throw new ForwardProtocolError(`expected PONG, got ${describeMessage(message)}`);
  }
  const [, authenticated, reason, serverHostname, digest] = message as [string, unknown, unknown, unknown, unknown];
  if (authenticated !== true) {
    throw new PermanentSinkError(`the forward server refused authentication: ${String(reason) || 'no reason given'}`);
  }
  if (typeof serverHostname !== 'string' || typeof digest !== 'string') {
    throw new ForwardProtocolError('PONG without server hostname or digest');
  }
  if (serverHostname === credentials.selfHostname) {
    throw new PermanentSinkError(
      `the forward server has the same hostname as --forward-self-hostname (${serverHostname}); set a different one`,
    );
  }
  const expected = sharedKeyDigest(ping.sharedKeySalt, serverHostname, helo.nonce, credentials.sharedKey);
  if (digest !== expected) {
    throw new PermanentSinkError(
      `the forward server ${serverHostname} answered with a digest of a different shared key: it does not know --forward-shared-key`,
    );
  }
  return serverHostname;
}

/** sha512_hex(salt + hostname + nonce + shared_key), as the spec defines for PING and PONG. */
export function sharedKeyDigest(salt: string, hostname: string, nonce: Uint8Array, sharedKey: string): string {
  return sha512Hex(salt, hostname, nonce, sharedKey);
}

function sha512Hex(...parts: (string | Uint8Array)[]): string {
  const hash = createHash('sha512');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** Fluentd sends nonce and salt as msgpack str, other servers as bin; both mean the same bytes. */
function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return undefined;
}
