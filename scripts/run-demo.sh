#!/usr/bin/env bash
# `make run`: a simulated kube-apiserver writes a rotating, compressing audit log into a temp dir
# while the agent ships it to the file sink. One progress line a second shows events/s and lag.
# Ctrl-C (or SIGTERM) stops both once: the agent drains, checkpoints and exits 0, then the summary
# is printed and the temp dir removed (DEMO_KEEP=1 keeps it).
set -euo pipefail
# Job control puts the writer and the agent in process groups of their own: a terminal's Ctrl-C
# then reaches this script alone, which stops each of them with exactly one SIGTERM. (A Ctrl-C
# that reached the agent directly, followed by the trap's SIGTERM, was taken as "exit now".)
set -m
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d -t kube-audit-forwarder-demo-XXXXXX)"
mkdir -p "$work/log"
rate="${DEMO_RATE:-2000}"
# The sink output is emptied when it passes this size: a demo left running must not fill the disk.
max_output_bytes="${DEMO_MAX_OUTPUT_BYTES:-67108864}"
corpus_dir="${DEMO_CORPUS-$repo_root/test/fixtures/corpus/real}"

writer='' agent='' formatter='' capper=''
cleanup() {
  if [[ -n "$capper" ]]; then kill "$capper" 2>/dev/null || true; fi
  [[ "${DEMO_KEEP:-0}" == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT

echo "demo directory: $work"
echo "  audit log:   $work/log/audit.log (rotates at 1 MiB, backups gzipped, 20 kept)"
echo "  sink output: $work/out.jsonl (emptied past $((max_output_bytes / 1048576)) MiB)"
echo "  checkpoint:  $work/checkpoint"
echo "Ctrl-C stops both."

corpus=()
[[ -n "$corpus_dir" && -d "$corpus_dir" ]] && corpus=(--corpus "$corpus_dir")
node "$repo_root/dist/scripts/simulate-apiserver.js" --dir "$work/log" --rate "$rate" --max-size 1MiB \
  --max-backups 20 --compress --seed 1 "${corpus[@]}" --status-every 3600 &
writer=$!
# The formatter reads the agent's log until the agent closes it, so the last lines come out too.
exec 3> >(node "$repo_root/dist/scripts/format-progress.js" >&2)
formatter=$!
node --max-semi-space-size=8 "$repo_root/dist/src/cli.js" run --path "$work/log/audit.log" --checkpoint-dir "$work/checkpoint" \
  --sink file --file-path "$work/out.jsonl" --progress-interval-ms 1000 --http-port 0 2>&3 &
agent=$!
exec 3>&-
set +m # the two have their groups; without job control, bash reports no job ending below
(
  while sleep 1; do
    size=$(stat -c %s "$work/out.jsonl" 2>/dev/null || echo 0)
    # The file sink appends (O_APPEND), so it goes on writing at the new end.
    if (( size > max_output_bytes )); then : > "$work/out.jsonl"; fi
  done
) &
capper=$!

stopping=0
stop() {
  (( stopping )) && return
  stopping=1
  kill -TERM "$writer" "$agent" 2>/dev/null || true
}
trap stop INT TERM

# A trap interrupts `wait`; wait again until the agent has really exited.
agent_status=0
while :; do
  if wait "$agent"; then agent_status=0; else agent_status=$?; fi
  kill -0 "$agent" 2>/dev/null || break
done
stop
wait "$writer" || true
wait "$formatter" 2>/dev/null || true
if [[ "${DEMO_KEEP:-0}" == 1 ]]; then kept="; kept $work"; else kept="; removed $work (DEMO_KEEP=1 keeps it)"; fi
echo "agent exited with status $agent_status$kept"
exit "$agent_status"
