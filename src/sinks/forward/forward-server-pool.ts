import type { Logger } from 'winston';
import { startAtZero } from '../../observability/metrics.js';
import { PermanentSinkError, type SinkHealth } from '../sink.js';
import { ForwardConnection, type ConnectionSettings } from './forward-connection.js';
import type { ForwardSinkMetrics } from './forward-sink-metrics.js';
import type { ServerAddress } from './server-address.js';

export interface PoolOptions {
  /** How often servers marked down are probed (connect + handshake) to bring them back. */
  healthCheckIntervalMs: number;
  /** An idle kept-alive connection is closed after this long, before a server or middlebox drops it. */
  keepaliveIdleMs: number;
}

interface ServerState {
  readonly address: ServerAddress;
  up: boolean;
  lastError: Error | undefined;
  readonly idle: ForwardConnection[];
  /** Set while a probe's connection is being opened; acquire waits for it rather than opening a twin. */
  probing: Promise<void> | undefined;
}

/**
 * The configured forward servers with their health and their idle kept-alive connections.
 * Messages go round-robin over the servers that are up; a server whose connection failed is
 * marked down and skipped until a background probe reaches it again. When every server is down,
 * each acquire still tries them all, so delivery resumes as soon as one comes back.
 */
export class ForwardServerPool {
  private readonly servers: ServerState[];
  private readonly idleTimers = new Map<ForwardConnection, NodeJS.Timeout>();
  private nextServer = 0;
  private healthTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    addresses: readonly ServerAddress[],
    private readonly settings: ConnectionSettings,
    private readonly options: PoolOptions,
    private readonly logger: Logger,
    private readonly metrics: ForwardSinkMetrics,
  ) {
    this.servers = addresses.map((address) => ({ address, up: true, lastError: undefined, idle: [], probing: undefined }));
    const servers = this.servers.map((server) => ({ server: server.address.label }));
    for (const labels of servers) metrics.serverUp.set(labels, 1);
    startAtZero(metrics.connectionsOpened, servers);
    startAtZero(metrics.messages, servers.flatMap((labels) => [{ ...labels, outcome: 'acked' }, { ...labels, outcome: 'failed' }]));
  }

  /** Probes every server once in the background, so readiness tells the truth before the first batch. */
  start(): void {
    for (const server of this.servers) this.probe(server);
    this.healthTimer = setInterval(() => {
      for (const server of this.servers) if (!server.up) this.probe(server);
    }, this.options.healthCheckIntervalMs);
    this.healthTimer.unref();
  }

  /**
   * A connection ready for one message: an idle one or a new one, from the next server that is
   * up, else from any server that answers. Rejects when none does, naming every server's error.
   */
  async acquire(): Promise<ForwardConnection> {
    const errors: Error[] = [];
    for (const server of this.candidates()) {
      await server.probing;
      const idle = this.takeIdle(server);
      if (idle) return idle;
      try {
        const connection = await this.open(server);
        this.markUp(server);
        return connection;
      } catch (error) {
        this.markDown(server, error as Error);
        errors.push(error as Error);
      }
    }
    const detail = errors.map((error) => error.message).join('; ');
    if (errors.some((error) => error instanceof PermanentSinkError)) throw new PermanentSinkError(`no forward server accepted us: ${detail}`);
    throw new Error(`no forward server reachable: ${detail}`);
  }

  /** Hands back a connection whose message was acked; kept for the next message if the server allows. */
  release(connection: ForwardConnection): void {
    const server = this.stateOf(connection);
    if (this.closed || !connection.reusable) {
      connection.close();
      return;
    }
    server.idle.push(connection);
    const timer = setTimeout(() => {
      this.forgetIdle(connection);
      connection.close();
    }, this.options.keepaliveIdleMs);
    timer.unref();
    this.idleTimers.set(connection, timer);
  }

  /** The message on this connection failed: the connection is gone and its server is marked down. */
  reportFailure(connection: ForwardConnection, error: Error): void {
    connection.destroy(error);
    this.markDown(this.stateOf(connection), error);
  }

  health(): SinkHealth {
    const up = this.servers.filter((server) => server.up);
    if (up.length > 0) {
      return { ready: true, detail: `${up.length}/${this.servers.length} forward servers up` };
    }
    const reasons = this.servers.map((server) => `${server.address.label}: ${server.lastError?.message ?? 'down'}`);
    return { ready: false, detail: `no forward server up (${reasons.join('; ')})` };
  }

  close(): void {
    this.closed = true;
    clearInterval(this.healthTimer);
    for (const server of this.servers) {
      for (const connection of server.idle.splice(0)) connection.close();
    }
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
  }

  /** Servers that are up, in round-robin order, then the ones that are down. */
  private candidates(): ServerState[] {
    const start = this.nextServer++ % this.servers.length;
    const rotated = [...this.servers.slice(start), ...this.servers.slice(0, start)];
    return [...rotated.filter((server) => server.up), ...rotated.filter((server) => !server.up)];
  }

  private takeIdle(server: ServerState): ForwardConnection | undefined {
    const connection = server.idle.pop();
    if (connection) {
      clearTimeout(this.idleTimers.get(connection));
      this.idleTimers.delete(connection);
    }
    return connection;
  }

  private async open(server: ServerState): Promise<ForwardConnection> {
    const connection = await ForwardConnection.open(server.address, this.settings);
    this.metrics.connectionsOpened.inc({ server: server.address.label });
    // An idle connection the server closes (restart, idle timeout) must not be handed out later.
    connection.onFailure(() => this.forgetIdle(connection));
    return connection;
  }

  private forgetIdle(connection: ForwardConnection): void {
    const server = this.stateOf(connection);
    const index = server.idle.indexOf(connection);
    if (index >= 0) server.idle.splice(index, 1);
    clearTimeout(this.idleTimers.get(connection));
    this.idleTimers.delete(connection);
  }

  /** Opens a connection (with the handshake) and keeps it for the next message; marks the server up or down. */
  private probe(server: ServerState): void {
    if (server.probing || this.closed) return;
    server.probing = this.open(server)
      .then((connection) => {
        this.markUp(server);
        this.release(connection);
      })
      .catch((error: Error) => this.markDown(server, error))
      .finally(() => {
        server.probing = undefined;
      });
  }

  private markUp(server: ServerState): void {
    if (server.up) return;
    server.up = true;
    this.metrics.serverUp.set({ server: server.address.label }, 1);
    this.logger.info('forward server is reachable again', { server: server.address.label });
  }

  private markDown(server: ServerState, error: Error): void {
    server.lastError = error;
    for (const connection of server.idle.splice(0)) connection.close();
    if (!server.up) return;
    server.up = false;
    this.metrics.serverUp.set({ server: server.address.label }, 0);
    const level = error instanceof PermanentSinkError ? 'error' : 'warn';
    this.logger.log(level, 'forward server marked down; other servers take its messages until it answers again', {
      server: server.address.label,
      error: error.message,
    });
  }

  private stateOf(connection: ForwardConnection): ServerState {
    const server = this.servers.find((candidate) => candidate.address === connection.server);
    if (!server) throw new Error(`connection to unknown server ${connection.server.label}`);
    return server;
  }
}
