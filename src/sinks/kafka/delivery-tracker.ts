import type { AuditRecord } from '../../pipeline/audit-record.js';

/** What a delivery report says about one message: nothing (delivered), or its error. */
export type DeliveryError = Error & { code?: number };

/**
 * The messages of one batch that librdkafka holds, and what their delivery reports said.
 * `settled` resolves once every message produced for the batch has its report, so `send`
 * resolves only when the brokers acknowledged all of it (acks=all) or some failed.
 * Messages the broker refused as too large are kept apart: the sink produces them again in
 * smaller batches, or takes the oversize policy for them.
 */
export class DeliveryTracker {
  private outstanding = 0;
  private producing = true;
  private failure?: DeliveryError;
  readonly tooLarge: AuditRecord[] = [];
  private resolveSettled!: () => void;
  readonly settled: Promise<void> = new Promise((resolve) => (this.resolveSettled = resolve));

  constructor(private readonly isTooLarge: (error: DeliveryError) => boolean) {}

  /** One more message of the batch is in librdkafka's hands. */
  produced(): void {
    this.outstanding += 1;
  }

  /** The delivery report of one of them. */
  report(record: AuditRecord, error: DeliveryError | null | undefined): void {
    if (error) {
      if (this.isTooLarge(error)) this.tooLarge.push(record);
      else this.failure ??= error;
    }
    this.outstanding -= 1;
    this.settleIfDone();
  }

  /** Fails the whole batch at once (a login refused, a certificate not trusted), without waiting for reports. */
  fail(error: DeliveryError): void {
    this.failure ??= error;
    this.outstanding = 0;
    this.producing = false;
    this.resolveSettled();
  }

  /** Every message of the batch was produced: from now on the last report settles it. */
  allProduced(): void {
    this.producing = false;
    this.settleIfDone();
  }

  /** The first error a report carried (or `fail` gave), once settled. */
  get error(): DeliveryError | undefined {
    return this.failure;
  }

  private settleIfDone(): void {
    if (!this.producing && this.outstanding <= 0) this.resolveSettled();
  }
}
