import type { CatchUpMeasurement } from './catch-up.js';
import type { MachineInfo } from './machine.js';
import { formatSideBySide, type SideBySideResults } from './peers/side-by-side.js';
import type { SteadyStateMeasurement } from './steady-state.js';

export interface BenchResults {
  /** ISO time the run started. */
  startedAt: string;
  machine: MachineInfo;
  corpus: { seed: number; events: number; megabytes: number; files: number; gzippedFiles: number; lineBytes: Record<string, number> };
  baselines: CatchUpMeasurement[];
  catchUp: Array<CatchUpMeasurement & { ratioToReadSplit: number; ratioToReadValidate: number; ratioToReadParse: number }>;
  steadyState?: SteadyStateMeasurement;
  /** Fluent Bit's catch-ups beside the agent's, when a binary was given. */
  sideBySide?: SideBySideResults;
}

const MB = 1024 * 1024;

/** The short table printed at the end of `make bench`. */
export function formatTable(results: BenchResults): string {
  const header = ['run', 'events/s', 'MB/s', 'CPU s/100k', 'peak RSS MB', 'time s', 'delivered', 'vs read+split', 'vs read+validate', 'vs read+parse'];
  const rows: string[][] = [];
  for (const run of results.baselines) {
    rows.push([run.name, ...figures(run), String(run.delivered), '', '', '']);
  }
  for (const run of results.catchUp) {
    rows.push([
      run.name,
      ...figures(run),
      run.delivered === run.events ? String(run.delivered) : `${run.delivered} (of ${run.events})`,
      run.ratioToReadSplit.toFixed(2),
      run.ratioToReadValidate.toFixed(2),
      run.ratioToReadParse.toFixed(2),
    ]);
  }
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  const out = [line(header), ...rows.map(line)];
  const steady = results.steadyState;
  if (steady) {
    out.push(
      '',
      `steady state: ${steady.rate} events/s for ${steady.seconds} s, ${steady.rotations} rotations: agent CPU ${steady.agentCpuPercent.toFixed(1)}% of a core, ` +
        `RSS max ${(steady.agentRssBytes.max / MB).toFixed(0)} MB, write→ack latency p50 ${steady.latencyMs.p50.toFixed(0)} ms p99 ${steady.latencyMs.p99.toFixed(0)} ms ` +
        `max ${steady.latencyMs.max.toFixed(0)} ms, missing ${steady.missing}, duplicates ${steady.duplicates}`,
    );
  }
  if (results.sideBySide) out.push('', ...formatSideBySide(results.sideBySide));
  const { machine } = results;
  out.push(
    '',
    `machine: ${machine.cores} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.kernel}, node ${machine.node}; ` +
      `load average ${machine.loadAverage.start.toFixed(1)} at start, ${machine.loadAverage.end?.toFixed(1)} at end`,
  );
  return out.join('\n');
}

function figures(run: CatchUpMeasurement): string[] {
  return [
    Math.round(run.eventsPerSecond).toLocaleString('en-US'),
    run.megabytesPerSecond.toFixed(0),
    run.cpuSecondsPer100kEvents.toFixed(2),
    (run.peakRssBytes / MB).toFixed(0),
    run.wallSeconds.toFixed(2),
  ];
}
