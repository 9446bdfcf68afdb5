/**
 * Lets the reading loop sleep until something may have changed (a filesystem event, the poll
 * timer, shutdown) without a busy loop and without piling up promises or timers per event.
 */
export class WakeSignal {
  private pending = false;
  private waiter?: () => void;

  /** Wakes the loop now, or makes its next wait return at once. Cheap enough to call per event. */
  notify(): void {
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = undefined;
      resolve();
    } else {
      this.pending = true;
    }
  }

  /** Resolves on the next notify, or after timeoutMs. */
  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve();
      }, timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
