/**
 * Capped exponential backoff with jitter: retries never stop (dropping audit data on retry
 * exhaustion is what Fluent Bit's default Retry_Limit does), but they spread out so a recovering
 * sink is not hammered by every agent at once.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  // Equal jitter: at least half the ceiling, so delays still grow.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
