#!/usr/bin/env bash
# `make run`: a simulated kube-apiserver writes a rotating, compressing audit log into a temp dir
# while the agent ships it to the file sink. Progress lines show events/s, lag and rotations.
# Ctrl-C (or SIGTERM) stops both: the agent drains, checkpoints and exits 0.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d -t kube-audit-forwarder-demo-XXXXXX)"
mkdir -p "$work/log"
rate="${DEMO_RATE:-2000}"

echo "demo directory: $work"
echo "  audit log:   $work/log/audit.log (rotates at 1 MiB, backups gzipped, 20 kept)"
echo "  sink output: $work/out.jsonl"
echo "  checkpoint:  $work/checkpoint"
echo "Ctrl-C stops both."

# Mix in the shared corpus of real audit events when it is there (beside the repository).
corpus=()
[[ -d "$repo_root/../shared/corpus/real" ]] && corpus=(--corpus "$repo_root/../shared/corpus/real")
node "$repo_root/dist/scripts/simulate-apiserver.js" --dir "$work/log" --rate "$rate" --max-size 1MiB \
  --max-backups 20 --compress --seed 1 "${corpus[@]}" --status-every 5 &
writer=$!
node --max-semi-space-size=4 "$repo_root/dist/src/cli.js" run --path "$work/log/audit.log" --checkpoint-dir "$work/checkpoint" \
  --sink file --file-path "$work/out.jsonl" --progress-interval-ms 2000 --http-port 0 \
  2> >(node "$repo_root/dist/scripts/format-progress.js" >&2) &
agent=$!

stop() {
  kill -TERM "$writer" "$agent" 2>/dev/null || true
}
trap stop INT TERM
wait "$agent" || true
kill -TERM "$writer" 2>/dev/null || true
wait "$writer" || true
echo "shipped $(wc -l < "$work/out.jsonl") events to $work/out.jsonl"
