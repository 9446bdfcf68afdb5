import { Counter, type Registry } from 'prom-client';

/**
 * A Prometheus counter that the per-line path adds to: `add` is one addition, and what was added
 * goes into the counter whenever it is read (a scrape, `get`). prom-client's `inc` allocates two
 * objects per call, garbage that every line of a catch-up made twice.
 */
export class PerLineCounter extends Counter {
  private pending = 0;

  constructor(configuration: { name: string; help: string; registers: Registry[] }) {
    super({
      ...configuration,
      // prom-client calls it on the counter before each read.
      collect(this: Counter) {
        (this as PerLineCounter).flush();
      },
    });
  }

  add(amount: number): void {
    this.pending += amount;
  }

  private flush(): void {
    if (this.pending === 0) return;
    this.inc(this.pending);
    this.pending = 0;
  }
}
