import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { Decoder, Encoder, ExtensionCodec } from '@msgpack/msgpack';

/**
 * A Forward protocol server for tests that does what real servers rarely do, on request:
 * withholds acks, acks the wrong chunk, half-closes or resets the connection, reads slowly or not
 * at all, and authenticates with HELO/PING/PONG (or pretends to, with the wrong key). It decodes
 * every message it reads, so tests see exactly what the sink put on the wire.
 */

/** What the server does with one transport message after reading it. */
export type MessageBehaviour = 'ack' | 'withhold-ack' | 'wrong-ack' | 'half-close' | 'reset';

export interface ServerSecurity {
  sharedKey: string;
  serverHostname: string;
  /** When set, HELO asks for user authentication and these are the accepted users. */
  users?: Record<string, string>;
  /** The key the PONG digest is made with (default: sharedKey); another key plays an impostor. */
  pongKey?: string;
  keepalive?: boolean;
}

export interface FaultInjectingServerOptions {
  security?: ServerSecurity;
  /** Reads at most this many bytes per 10 ms tick (a slow reader); default: as fast as possible. */
  readBytesPerTick?: number;
  /** Never reads after accepting (the sender's writes back up in the socket buffers). */
  stallReads?: boolean;
}

export interface ReceivedEntry {
  seconds: number;
  nanoseconds: number;
  record: Record<string, unknown>;
}

export interface ReceivedMessage {
  tag: string;
  /** The msgpack type the entries came as: `bin` per the spec for PackedForward. */
  entriesType: 'bin' | 'str' | 'array';
  option: Record<string, unknown>;
  entries: ReceivedEntry[];
  behaviour: MessageBehaviour;
}

const extensionCodec = new ExtensionCodec();
extensionCodec.register({
  type: 0,
  encode: () => null,
  decode: (data: Uint8Array) => {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data.byteLength !== 8) throw new Error(`EventTime must have 8 bytes, got ${data.byteLength}`);
    return { seconds: view.getUint32(0), nanoseconds: view.getUint32(4) };
  },
});

export class FaultInjectingForwardServer {
  readonly messages: ReceivedMessage[] = [];
  /** Handshake outcomes, in order: `ok` or the PONG reason. */
  readonly handshakes: string[] = [];
  connectionCount = 0;
  private readonly plan: MessageBehaviour[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private readonly encoder = new Encoder();
  private listeners: (() => void)[] = [];

  private constructor(private readonly options: FaultInjectingServerOptions) {
    this.server = createServer((socket) => this.accept(socket));
  }

  static async start(options: FaultInjectingServerOptions = {}, port = 0): Promise<FaultInjectingForwardServer> {
    const server = new FaultInjectingForwardServer(options);
    server.server.listen(port, '127.0.0.1');
    await once(server.server, 'listening');
    return server;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The behaviours for the next messages, in order; after them the server acks. */
  willRespond(...behaviours: MessageBehaviour[]): void {
    this.plan.push(...behaviours);
  }

  /** Every record received, acked or not, in arrival order. */
  get records(): Record<string, unknown>[] {
    return this.messages.flatMap((message) => message.entries.map((entry) => entry.record));
  }

  /** Resolves once `condition` holds, re-checked after each connection, message and handshake. */
  async waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`condition not met within ${timeoutMs} ms`)), timeoutMs);
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((listener) => listener !== check);
        resolve();
      };
      this.listeners.push(check);
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.connectionCount++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const bytes = new PassThrough();
    if (this.options.stallReads) socket.pause();
    else if (this.options.readBytesPerTick) this.readSlowly(socket, bytes, this.options.readBytesPerTick);
    else socket.pipe(bytes);
    void this.serve(socket, bytes);
    this.notify();
  }

  private readSlowly(socket: Socket, bytes: PassThrough, bytesPerTick: number): void {
    socket.pause();
    const timer = setInterval(() => {
      const available = Math.min(bytesPerTick, socket.readableLength);
      const chunk = available > 0 ? (socket.read(available) as Buffer | null) : null;
      if (chunk) bytes.write(chunk);
      else socket.read(0); // lets the stream pull more from the kernel
    }, 10);
    socket.on('close', () => {
      clearInterval(timer);
      bytes.end();
    });
  }

  private async serve(socket: Socket, bytes: PassThrough): Promise<void> {
    const security = this.options.security;
    let handshake = security ? this.sendHelo(socket, security) : undefined;
    const decoder = new Decoder({ extensionCodec });
    try {
      for await (const message of decoder.decodeStream(bytes)) {
        if (handshake) {
          if (!this.answerPing(socket, message, handshake)) return;
          handshake = undefined;
        } else {
          this.receive(socket, message);
        }
        this.notify();
      }
    } catch {
      socket.destroy();
    }
  }

  private sendHelo(socket: Socket, security: ServerSecurity): { nonce: Buffer; authSalt: Buffer; security: ServerSecurity } {
    const nonce = randomBytes(16);
    const authSalt = security.users ? randomBytes(16) : Buffer.alloc(0);
    socket.write(this.encoder.encode(['HELO', { nonce, auth: authSalt, keepalive: security.keepalive ?? true }]));
    return { nonce, authSalt, security };
  }

  /** Checks a PING as the spec says; answers PONG. Returns whether the client is authenticated. */
  private answerPing(
    socket: Socket,
    message: unknown,
    { nonce, authSalt, security }: { nonce: Buffer; authSalt: Buffer; security: ServerSecurity },
  ): boolean {
    const [kind, clientHostname, salt, digest, username, passwordDigest] = message as unknown[];
    let reason = '';
    if (kind !== 'PING') reason = 'expected PING';
    else if (digest !== sha512Hex(salt as string, clientHostname as string, nonce, security.sharedKey)) reason = 'shared key mismatch';
    else if (security.users) {
      const password = security.users[username as string];
      if (password === undefined || passwordDigest !== sha512Hex(authSalt, username as string, password)) {
        reason = 'username/password mismatch';
      }
    }
    this.handshakes.push(reason || 'ok');
    const pongDigest = reason ? '' : sha512Hex(salt as string, security.serverHostname, nonce, security.pongKey ?? security.sharedKey);
    socket.write(this.encoder.encode(['PONG', reason === '', reason, security.serverHostname, pongDigest]));
    if (reason) socket.end();
    return reason === '';
  }

  private receive(socket: Socket, message: unknown): void {
    const [tag, entriesField, option = {}] = message as [string, unknown, Record<string, unknown>?];
    const behaviour = this.plan.shift() ?? 'ack';
    this.messages.push({
      tag,
      entriesType: entriesField instanceof Uint8Array ? 'bin' : typeof entriesField === 'string' ? 'str' : 'array',
      option,
      entries: decodeEntries(entriesField, option),
      behaviour,
    });
    const chunk = option.chunk as string | undefined;
    switch (behaviour) {
      case 'ack':
        if (chunk !== undefined) socket.write(this.encoder.encode({ ack: chunk }));
        break;
      case 'wrong-ack':
        socket.write(this.encoder.encode({ ack: `not-${chunk}` }));
        break;
      case 'half-close':
        socket.end();
        break;
      case 'reset':
        socket.resetAndDestroy();
        break;
      case 'withhold-ack':
        break;
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function decodeEntries(entriesField: unknown, option: Record<string, unknown>): ReceivedEntry[] {
  if (!(entriesField instanceof Uint8Array)) throw new Error('this test server decodes PackedForward messages only');
  const packed = option.compressed === 'gzip' ? gunzipSync(entriesField) : entriesField;
  const entries: ReceivedEntry[] = [];
  for (const entry of new Decoder({ extensionCodec }).decodeMulti(packed)) {
    const [time, record] = entry as [{ seconds: number; nanoseconds: number }, Record<string, unknown>];
    entries.push({ seconds: time.seconds, nanoseconds: time.nanoseconds, record });
  }
  return entries;
}

function sha512Hex(...parts: (string | Uint8Array)[]): string {
  const hash = createHash('sha512');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}
