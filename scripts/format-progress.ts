import { createInterface } from 'node:readline';

/**
 * Makes the agent's JSON log readable in a terminal for `make run`: progress entries become one
 * short line, warnings and errors keep their fields, debug is dropped.
 */
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
  if (level === 'debug') return;
  if (message === 'progress') {
    const mib = (Number(fields.lagBytes) / 1024 / 1024).toFixed(1);
    process.stdout.write(
      `${time} agent   ${String(fields.eventsPerSecond).padStart(6)} events/s ${String(fields.megabytesPerSecond).padStart(6)} MB/s  shipped ${fields.eventsShipped}  lag ${mib} MiB  files ${fields.files}  rotations ${fields.rotations}  invalid ${fields.invalidLines}  lost ${fields.bytesLost} B\n`,
    );
    return;
  }
  const details = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
  process.stdout.write(`${time} agent   ${String(level).toUpperCase()} ${String(message)}${details}\n`);
});
