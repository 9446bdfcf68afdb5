import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { CatchUpMeasurement } from '../catch-up.js';
import type { Corpus } from '../corpus.js';
import type { SinkTarget } from '../sink-targets.js';
import { measureFluentBitCatchUp, type FluentBitOutput } from './fluent-bit.js';

/** The agent's rows beside Fluent Bit's for one kind of output, and their ratios. */
export interface PeerComparison {
  /** file, forward, kafka. */
  readonly output: string;
  readonly peer: CatchUpMeasurement;
  readonly agent: ReadonlyArray<CatchUpMeasurement & { speedRatio: number; cpuRatio: number }>;
}

export interface SideBySideResults {
  readonly fluentBit: { readonly binary: string; readonly version: string };
  readonly comparisons: PeerComparison[];
}

export interface SideBySideRun {
  /** Plain-files corpus both read (plainCorpusOf). */
  readonly corpus: Corpus;
  readonly binary: string;
  readonly workDir: string;
  readonly output: string;
  /** A fresh target at the far side for each run (the same receiver for the agent and Fluent Bit). */
  readonly target: () => Promise<SinkTarget>;
  /** How Fluent Bit's output reaches that target. */
  readonly fluentBitOutput: (target: SinkTarget) => FluentBitOutput;
  /** Runs the agent over `corpus` into `target` with extra flags; the harness's own catch-up. */
  readonly runAgent: (name: string, target: SinkTarget, extraArgs: string[]) => Promise<CatchUpMeasurement>;
  /** Agent variants to run: name suffix and extra flags (defaults, processors off). */
  readonly variants: ReadonlyArray<{ readonly suffix: string; readonly args: string[] }>;
}

/**
 * Fluent Bit, then each agent variant, one after the other on the same corpus into the same kind of
 * receiver, so the ratios compare runs made under the same load. Speed ratio > 1: the agent is
 * faster; CPU ratio < 1: the agent spends less CPU per event.
 */
export async function compareWithFluentBit(run: SideBySideRun): Promise<PeerComparison> {
  const peerTarget = await run.target();
  let peer: CatchUpMeasurement;
  try {
    peer = await measureFluentBitCatchUp({
      name: `fluent-bit: tail → ${run.output}`,
      binary: run.binary,
      corpus: run.corpus,
      workDir: path.join(run.workDir, 'fluent-bit'),
      output: run.fluentBitOutput(peerTarget),
    });
    // Timed by Fluent Bit's own count of finished records; delivered is what the far side holds.
    peer = { ...peer, delivered: await peerTarget.countDelivered() };
  } finally {
    await peerTarget.cleanUp();
  }
  const agent = [];
  for (const variant of run.variants) {
    const target = await run.target();
    const measured = await run.runAgent(`agent: ${run.output}${variant.suffix} (beside fluent-bit)`, target, variant.args);
    agent.push({
      ...measured,
      speedRatio: measured.eventsPerSecond / peer.eventsPerSecond,
      cpuRatio: measured.cpuSecondsPer100kEvents / peer.cpuSecondsPer100kEvents,
    });
  }
  return { output: run.output, peer, agent };
}

export function fluentBitVersion(binary: string): string {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 }).split('\n')[0]!.trim();
  } catch (error) {
    throw new Error(`FLUENT_BIT=${binary} does not run: ${(error as Error).message}`);
  }
}

/** The ratios as lines under the report's table. */
export function formatSideBySide(results: SideBySideResults): string[] {
  const lines = [`side by side with ${results.fluentBit.version} (${results.fluentBit.binary}), same corpus of plain files, same receiver:`];
  for (const comparison of results.comparisons) {
    const { peer } = comparison;
    lines.push(
      `  ${peer.name}: ${Math.round(peer.eventsPerSecond).toLocaleString('en-US')} events/s, ${peer.cpuSecondsPer100kEvents.toFixed(2)} CPU-s/100k, ` +
        `peak RSS ${(peer.peakRssBytes / 1024 / 1024).toFixed(0)} MB, delivered ${peer.delivered}/${peer.events}`,
    );
    for (const run of comparison.agent) {
      lines.push(
        `  ${run.name}: ${Math.round(run.eventsPerSecond).toLocaleString('en-US')} events/s = ${run.speedRatio.toFixed(2)}x fluent-bit's speed, ` +
          `${run.cpuSecondsPer100kEvents.toFixed(2)} CPU-s/100k = ${run.cpuRatio.toFixed(2)}x its CPU, peak RSS ${(run.peakRssBytes / 1024 / 1024).toFixed(0)} MB, ` +
          `delivered ${run.delivered}/${run.events}`,
      );
    }
  }
  return lines;
}
