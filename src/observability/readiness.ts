import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Sink } from '../sinks/sink.js';

/** One condition the agent needs to make progress, as `/readyz` reports it. */
export interface ReadinessCheck {
  name: string;
  ready: boolean;
  /** One line an operator can act on. */
  detail: string;
}

export interface ReadinessReport {
  /** True only when every check is ready. */
  ready: boolean;
  checks: ReadinessCheck[];
}

export type ReadinessProbe = () => Promise<ReadinessReport>;

type Check = () => ReadinessCheck | Promise<ReadinessCheck>;

/**
 * Runs every check on each call, so `/readyz` tells the current state rather than a cached
 * one. A check that throws counts as not ready: a broken check must not report health.
 */
export function readinessProbe(checks: Record<string, Check>): ReadinessProbe {
  return async () => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]): Promise<ReadinessCheck> => {
        try {
          return { ...(await check()), name };
        } catch (error) {
          return { name, ready: false, detail: `check failed: ${(error as Error).message}` };
        }
      }),
    );
    return { ready: results.every((result) => result.ready), checks: results };
  };
}

/**
 * Without a writable checkpoint directory the agent can ship but never record progress, so a
 * restart would resend everything: not ready. `access(W_OK)` also reports a read-only mount
 * (EROFS), which is how a wrong hostPath or volume shows up.
 */
export function checkpointDirWritable(dir: string): Check {
  return async () => {
    try {
      await access(dir, constants.W_OK);
      return { name: 'checkpoint-dir', ready: true, detail: `${dir} is writable` };
    } catch (error) {
      return { name: 'checkpoint-dir', ready: false, detail: `${dir} is not writable: ${(error as Error).message}` };
    }
  };
}

/** The sink's own view: reachable, or why its last send failed. */
export function sinkCanDeliver(sink: Pick<Sink, 'name' | 'health'>): Check {
  return () => {
    const health = sink.health();
    return { name: 'sink', ready: health.ready, detail: `${sink.name}: ${health.detail}` };
  };
}
