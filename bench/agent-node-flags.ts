/**
 * The V8 flags the agent runs with wherever it is launched for real: the image's ENTRYPOINT,
 * the `kube-audit-forwarder` bin's shebang and `make run` pass these, so the benchmark passes
 * them too (a test holds the Dockerfile and the shebang to this list).
 *
 * --max-semi-space-size=8 (MiB; V8's default lets the young generation grow to 3 × 16 MiB): the
 * agent allocates a short-lived Buffer view and record per line, and a young generation that
 * fits the CPU's caches is collected faster than a large one; below 8 the default processors'
 * per-line garbage is promoted instead, which costs CPU and peak RSS (docs/development.md,
 * "What the profiles showed", has the measurements).
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
