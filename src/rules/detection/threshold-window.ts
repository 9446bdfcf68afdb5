/**
 * Counts matching events per group (e.g. per user) over a sliding window of event time and says
 * when a group reaches the threshold. After firing, the group starts over, so a steady stream of
 * 403s alerts once per `count` failures rather than on every event after the first burst.
 *
 * Event time rather than wall-clock time keeps results the same when a backlog is replayed or a
 * file is run through `evaluate`. Memory is bounded: past `maxGroups` groups, the group that was
 * seen least recently is forgotten.
 */
export class ThresholdWindow {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly count: number,
    private readonly windowMs: number,
    private readonly maxGroups = 10_000,
  ) {}

  /** Records one matching event; true when this event completes a burst for its group. */
  record(group: string, timeMs: number): boolean {
    const times = this.hits.get(group) ?? [];
    this.hits.delete(group); // re-inserted below, so Map order is least recently seen first
    const windowStart = timeMs - this.windowMs;
    const recent = times.filter((time) => time > windowStart);
    recent.push(timeMs);
    if (recent.length >= this.count) return true;
    this.hits.set(group, recent);
    if (this.hits.size > this.maxGroups) this.hits.delete(this.hits.keys().next().value!);
    return false;
  }
}
