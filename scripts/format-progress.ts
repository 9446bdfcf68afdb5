import { createInterface } from 'node:readline';

/**
 * Makes the agent's JSON log readable in a terminal for `make run`: progress entries become one
 * short line, the stop summary one sentence, warnings and errors keep their fields; debug is
 * dropped, and so are per-file events the progress line already counts (rotations).
 */

/** Shown as the progress line's counters instead, one line a second rather than one per rotation. */
const COUNTED_IN_PROGRESS = new Set(['audit log rotated']);

// The terminal's Ctrl-C is for run-demo.sh, which stops the agent; this reads the agent's log
// until the agent closes it, so its last lines (the summary) are printed too.
process.on('SIGINT', () => undefined);

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    process.stdout.write(`${line}\n`);
    return;
  }
  const time = String(entry.timestamp ?? '').slice(11, 19);
  const { level, message, timestamp: _t, service: _s, ...fields } = entry;
  if (level === 'debug' || COUNTED_IN_PROGRESS.has(String(message))) return;
  if (message === 'progress') {
    const mib = (Number(fields.lagBytes) / 1024 / 1024).toFixed(1);
    process.stdout.write(
      `${time} agent   ${String(fields.eventsPerSecond).padStart(6)} events/s ${String(fields.megabytesPerSecond).padStart(6)} MB/s  shipped ${fields.eventsShipped}  lag ${mib} MiB  files ${fields.files}  rotations ${fields.rotations}  invalid ${fields.invalidLines}  lost ${fields.bytesLost} B\n`,
    );
    return;
  }
  if (message === 'agent stopped') {
    process.stdout.write(
      `${time} agent   stopped: shipped ${fields.eventsShipped} events (${fields.linesRead} lines read, ${fields.invalidLines} invalid, ${fields.bytesLost} bytes lost), ${fields.drained ? 'drained' : 'NOT drained: unacknowledged lines are sent again on restart'}\n`,
    );
    return;
  }
  const details = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
  process.stdout.write(`${time} agent   ${String(level).toUpperCase()} ${String(message)}${details}\n`);
});
