/** What a SIGINT or SIGTERM asks for, given the ones that came before it. */
export type StopVerdict = 'drain' | 'already-draining' | 'exit-now';

/**
 * A second signal only means "exit now, skip the drain" once this long after the first: a
 * terminal's Ctrl-C followed by a wrapper's SIGTERM (make run's trap, a process manager) arrives
 * within milliseconds and must not cost the final checkpoint.
 */
export const EXIT_NOW_GRACE_MS = 2_000;

/**
 * The policy alone, without process state, so it can be tested with a clock: the first signal
 * drains and checkpoints; later ones within the grace are ignored, unless it is the third.
 */
export class StopSignalPolicy {
  private firstAt?: number;
  private count = 0;

  constructor(
    readonly graceMs = EXIT_NOW_GRACE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  decide(): StopVerdict {
    this.count += 1;
    const at = this.now();
    if (this.firstAt === undefined) {
      this.firstAt = at;
      return 'drain';
    }
    return this.count >= 3 || at - this.firstAt >= this.graceMs ? 'exit-now' : 'already-draining';
  }
}

/** Where the handlers report, once the logger exists (signals can come before it does). */
export interface StopSignalLog {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/** Exit code when a later signal cuts the drain short: not 0, what was in flight is sent again. */
const EXIT_WITHOUT_DRAIN = 1;

/**
 * SIGINT/SIGTERM handling for the whole process, installed first thing by the CLI: without a
 * handler Node dies on SIGTERM, and a pod stopped while still loading its modules would exit by
 * signal. Signals that come before the logger exists are reported once it is attached.
 */
export class StopSignals {
  /** The first stop signal, once one came. */
  signal?: NodeJS.Signals;
  readonly requested: Promise<NodeJS.Signals>;
  private resolveRequested!: (signal: NodeJS.Signals) => void;
  private log?: StopSignalLog;
  private readonly unreported: Array<{ signal: NodeJS.Signals; verdict: StopVerdict }> = [];
  private readonly handler = (signal: NodeJS.Signals): void => this.onSignal(signal);

  private constructor(
    private readonly policy: StopSignalPolicy,
    private readonly exit: (code: number) => void,
  ) {
    this.requested = new Promise((resolve) => (this.resolveRequested = resolve));
  }

  static install(policy = new StopSignalPolicy(), exit: (code: number) => void = (code) => process.exit(code)): StopSignals {
    const signals = new StopSignals(policy, exit);
    for (const name of STOP_SIGNALS) process.on(name, signals.handler);
    return signals;
  }

  /** Reports the signals that came before, and those to come, through `log`. */
  attachLog(log: StopSignalLog): void {
    this.log = log;
    for (const { signal, verdict } of this.unreported.splice(0)) this.report(signal, verdict);
  }

  /**
   * Gives the process back Node's default behaviour (die on the signal), for commands that have
   * nothing to drain. Returns the signal that came meanwhile, if one did, for the caller to raise.
   */
  uninstall(): NodeJS.Signals | undefined {
    for (const name of STOP_SIGNALS) process.off(name, this.handler);
    return this.signal;
  }

  private onSignal(signal: NodeJS.Signals): void {
    const verdict = this.policy.decide();
    if (this.log) this.report(signal, verdict);
    else this.unreported.push({ signal, verdict });
    if (verdict === 'drain') {
      this.signal = signal;
      this.resolveRequested(signal);
    } else if (verdict === 'exit-now') {
      this.exit(EXIT_WITHOUT_DRAIN);
    }
  }

  private report(signal: NodeJS.Signals, verdict: StopVerdict): void {
    if (verdict === 'drain') {
      this.log!.info('signal received: draining in-flight batches and writing the checkpoint', { signal });
    } else if (verdict === 'already-draining') {
      this.log!.info('signal received while draining: still draining (a signal after the grace, or a third one, exits at once)', {
        signal,
        graceMs: this.policy.graceMs,
      });
    } else {
      this.log!.warn('signal received again: exiting without waiting for the drain', { signal });
    }
  }
}
