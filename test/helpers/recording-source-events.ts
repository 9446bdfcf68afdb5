import type { SourceEvents } from '../../src/source/source-events.js';

type EventName = keyof SourceEvents;
export type RecordedEvent = { name: EventName } & Record<string, unknown>;

/** SourceEvents that keep every event, in order, for assertions. */
export function recordingSourceEvents(): { events: SourceEvents; recorded: RecordedEvent[]; named(name: EventName): RecordedEvent[] } {
  const recorded: RecordedEvent[] = [];
  // Every event of the interface (the compiler checks that none is missing).
  const every: Record<EventName, true> = {
    fileFound: true,
    replaying: true,
    rotated: true,
    truncated: true,
    lost: true,
    unreadable: true,
    readableAgain: true,
    unreadableGone: true,
    gzipIncomplete: true,
    copyMoved: true,
    forgotten: true,
    directoryUnlistable: true,
    directoryListable: true,
    watchFailed: true,
  };
  const names = Object.keys(every) as EventName[];
  const events = Object.fromEntries(
    names.map((name) => [name, (event: Record<string, unknown>) => recorded.push({ name, ...event })]),
  ) as unknown as SourceEvents;
  return { events, recorded, named: (name) => recorded.filter((event) => event.name === name) };
}
