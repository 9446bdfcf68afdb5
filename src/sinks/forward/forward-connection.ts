import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { Decoder, Encoder } from '@msgpack/msgpack';
import { PermanentSinkError } from '../sink.js';
import { ForwardProtocolError, describeMessage } from './forward-errors.js';
import { buildPing, parseHelo, verifyPong, type HandshakeCredentials } from './handshake.js';
import type { ForwardMessage } from './packed-forward-encoder.js';
import type { ServerAddress } from './server-address.js';

export interface ForwardTlsSettings {
  /** PEM texts; without `ca` the system CAs are trusted. */
  ca?: string;
  cert?: string;
  key?: string;
  /** Name the certificate must carry when it differs from the host dialled (e.g. dialling an IP). */
  servername?: string;
  insecureSkipVerify: boolean;
}

export interface ConnectionSettings {
  connectTimeoutMs: number;
  tls?: ForwardTlsSettings;
  /** Set when the servers use shared-key authentication (HELO/PING/PONG). */
  credentials?: HandshakeCredentials;
  /** Idle time before the OS starts TCP keepalive probes, so a silently dead peer is noticed. */
  tcpKeepAliveMs: number;
}

/** Server messages are tiny (HELO, PONG, ack): anything large is a broken or hostile peer. */
const MAX_SERVER_MESSAGE_BYTES = 64 * 1024;
const encoder = new Encoder();

/**
 * One TCP (or TLS) connection to a forward server, after a successful handshake. It carries one
 * message at a time: `deliver` writes it and resolves when `{"ack": chunk}` with the same chunk
 * comes back. Any other outcome (timeout, other ack, unexpected message, reset, close) destroys
 * the connection, because its state is no longer known, and rejects.
 */
export class ForwardConnection {
  private readonly inbox: unknown[] = [];
  private waiter: ((message: unknown) => void) | undefined;
  private failure: Error | undefined;
  private failureListeners: ((error: Error) => void)[] = [];
  /** False when the server's HELO said it closes connections after each chunk. */
  private keepaliveAllowed = true;
  private messagesDelivered = 0;

  private constructor(
    private readonly socket: Socket,
    readonly server: ServerAddress,
  ) {
    void this.readMessages();
  }

  /** Connects, completes the TLS and shared-key handshakes, or rejects and leaves nothing open. */
  static async open(server: ServerAddress, settings: ConnectionSettings): Promise<ForwardConnection> {
    const socket = await connectSocket(server, settings);
    const connection = new ForwardConnection(socket, server);
    try {
      if (settings.credentials) await connection.handshake(settings.credentials, settings.connectTimeoutMs);
      return connection;
    } catch (error) {
      connection.destroy(error as Error);
      throw error;
    }
  }

  /** Whether the connection can carry another message (a fresh one can, even without keepalive). */
  get reusable(): boolean {
    return this.failure === undefined && (this.keepaliveAllowed || this.messagesDelivered === 0);
  }

  /** Called once when the connection breaks (the server closed it, a reset, or destroy()). */
  onFailure(listener: (error: Error) => void): void {
    if (this.failure) listener(this.failure);
    else this.failureListeners.push(listener);
  }

  async deliver(message: ForwardMessage, ackTimeoutMs: number): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.inbox.length > 0) {
      throw this.destroy(this.unexpected(this.inbox[0], `${this.server.label} sent ${describeMessage(this.inbox[0])} unasked`));
    }
    this.socket.write(message.bytes);
    const reply = await this.nextMessage(ackTimeoutMs, `ack for chunk ${message.chunk}`);
    if (isAck(reply) && reply.ack === message.chunk) {
      this.messagesDelivered++;
      return;
    }
    throw this.destroy(this.unexpected(reply, `${this.server.label} answered chunk ${message.chunk} with ${describeMessage(reply)}`));
  }

  /** Ends the connection (an idle one, or at shutdown). */
  close(): void {
    this.destroy(new Error('connection closed by the sink'));
  }

  /** Tears the connection down at once and fails whatever waits on it; returns the error for `throw`. */
  destroy(error: Error): Error {
    if (this.failure) return error;
    this.failure = error;
    this.socket.destroy();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(FAILED);
    for (const listener of this.failureListeners.splice(0)) listener(error);
    return error;
  }

  /**
   * A message other than the ack we wait for. A HELO means the server wants a handshake the sink
   * was not configured for (Fluentd sends it on connect), which no retry can fix.
   */
  private unexpected(message: unknown, description: string): Error {
    if (Array.isArray(message) && message[0] === 'HELO') {
      return new PermanentSinkError(`the forward server ${this.server.label} requires shared-key authentication: set --forward-shared-key`);
    }
    return new ForwardProtocolError(description);
  }

  private async handshake(credentials: HandshakeCredentials, timeoutMs: number): Promise<void> {
    const helo = parseHelo(await this.nextMessage(timeoutMs, 'HELO (is shared-key security enabled on the server?)'));
    const ping = buildPing(helo, credentials);
    this.socket.write(encoder.encode(ping.message));
    verifyPong(await this.nextMessage(timeoutMs, 'PONG'), helo, ping, credentials);
    this.keepaliveAllowed = helo.keepalive;
  }

  private nextMessage(timeoutMs: number, what: string): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.inbox.length > 0) return Promise.resolve(this.inbox.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(this.destroy(new Error(`no ${what} from ${this.server.label} within ${timeoutMs} ms`)));
      }, timeoutMs);
      this.waiter = (message) => {
        clearTimeout(timer);
        this.waiter = undefined;
        if (message === FAILED) reject(this.failure);
        else resolve(message);
      };
    });
  }

  private async readMessages(): Promise<void> {
    const decoder = new Decoder({ maxStrLength: MAX_SERVER_MESSAGE_BYTES, maxBinLength: MAX_SERVER_MESSAGE_BYTES });
    try {
      for await (const message of decoder.decodeStream(this.socket)) {
        if (this.waiter) this.waiter(message);
        else this.inbox.push(message);
      }
      this.destroy(new Error(`${this.server.label} closed the connection`));
    } catch (error) {
      this.destroy(new Error(`connection to ${this.server.label} failed: ${(error as Error).message}`, { cause: error }));
    }
  }
}

/** Marks "the connection failed" for a waiting reader, distinct from any message a server could send. */
const FAILED = Symbol('connection failed');

function connectSocket(server: ServerAddress, settings: ConnectionSettings): Promise<Socket> {
  const { tls } = settings;
  const socket = tls
    ? connectTls({
        host: server.host,
        port: server.port,
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        servername: tls.servername ?? (isIpAddress(server.host) ? undefined : server.host),
        rejectUnauthorized: !tls.insecureSkipVerify,
      })
    : connectTcp({ host: server.host, port: server.port });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${server.label} timed out after ${settings.connectTimeoutMs} ms`));
    }, settings.connectTimeoutMs);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.on('error', () => undefined); // reported through the reader loop
      socket.setNoDelay(true);
      socket.setKeepAlive(true, settings.tcpKeepAliveMs);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(tls && isTlsError(error) ? new PermanentSinkError(`TLS to ${server.label}: ${error.message}`, { cause: error }) : error);
    });
  });
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** Certificate problems do not heal by retrying; a refused or reset TCP connection might. */
function isTlsError(error: Error & { code?: string }): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME/.test(error.code ?? '');
}

function isAck(message: unknown): message is { ack: unknown } {
  return message !== null && typeof message === 'object' && !Array.isArray(message) && 'ack' in message;
}
