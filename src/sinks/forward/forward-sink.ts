import type { Batch } from '../../pipeline/audit-record.js';
import type { SinkContext } from '../sink-definition.js';
import type { Sink, SinkHealth } from '../sink.js';
import type { ForwardSinkConfig } from './forward-sink-config.js';
import { ForwardServerPool } from './forward-server-pool.js';
import { ForwardSinkMetrics } from './forward-sink-metrics.js';
import { PackedForwardEncoder, type ForwardMessage } from './packed-forward-encoder.js';

/**
 * Ships batches to Fluentd forward-protocol servers, at least once: a batch becomes one
 * PackedForward message (several when it is larger than --forward-max-message-bytes), each with
 * a chunk id, and `send` resolves only when every message's `{"ack": chunk}` came back. A missing
 * or wrong ack, a reset or a close drops the connection, marks the server down and rejects; the
 * agent then sends the whole batch again, to the next server that is up. With --alerts-forward-tag,
 * the batch's events that matched a detection also go out under that tag, in the same send.
 */
export class ForwardSink implements Sink {
  readonly name = 'forward';
  /** Events are transcoded from `value` (PackedForwardEncoder), so parsed events can go early. */
  readonly shipsValueOnly = true;
  private readonly encoder: PackedForwardEncoder;
  private readonly pool: ForwardServerPool;
  private readonly metrics: ForwardSinkMetrics;

  constructor(
    private readonly config: ForwardSinkConfig,
    context: SinkContext,
  ) {
    this.metrics = new ForwardSinkMetrics(context.registry);
    this.encoder = new PackedForwardEncoder({
      compression: config.compression,
      maxMessageBytes: config.maxMessageBytes,
      maxTagBytes: Math.max(Buffer.byteLength(config.tag), Buffer.byteLength(config.alertsTag ?? '')),
    });
    this.pool = new ForwardServerPool(
      config.servers,
      {
        connectTimeoutMs: config.connectTimeoutMs,
        tcpKeepAliveMs: config.tcpKeepAliveMs,
        credentials: config.credentials,
        tls: config.tls,
      },
      { healthCheckIntervalMs: config.healthCheckIntervalMs, keepaliveIdleMs: config.keepaliveIdleMs },
      context.logger,
      this.metrics,
    );
  }

  async start(): Promise<void> {
    this.pool.start();
  }

  async send(batch: Batch): Promise<void> {
    for (const message of await this.messagesOf(batch)) {
      const connection = await this.pool.acquire();
      const server = connection.server.label;
      try {
        await connection.deliver(message, this.config.ackTimeoutMs);
      } catch (error) {
        this.metrics.messages.inc({ server, outcome: 'failed' });
        this.pool.reportFailure(connection, error as Error);
        throw error;
      }
      this.metrics.messages.inc({ server, outcome: 'acked' });
      this.pool.release(connection);
    }
  }

  /** The batch under --forward-tag, plus its events that matched a detection under the alerts tag. */
  private async messagesOf(batch: Batch): Promise<ForwardMessage[]> {
    const messages = await this.encoder.encode(batch.records, this.config.tag);
    if (this.config.alertsTag === undefined) return messages;
    const alerts = batch.records.filter((record) => (record.detections?.length ?? 0) > 0);
    return alerts.length === 0 ? messages : [...messages, ...(await this.encoder.encode(alerts, this.config.alertsTag))];
  }

  async close(): Promise<void> {
    this.pool.close();
  }

  health(): SinkHealth {
    return this.pool.health();
  }
}
