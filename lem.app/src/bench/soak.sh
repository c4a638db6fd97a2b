#!/usr/bin/env bash
# Soak benchmark: N experiments in ONE long-lived interactive lem host (the shell fed through a
# pipe, as a person would type them), printing the live heap after a full GC after each run and the
# number of Gogo jobs still on the heap. A host that keeps nothing per run prints a flat heap.
#
#   lem.app/src/bench/soak.sh [N] [config]     (default 500 runs of lem.app/src/bench/soak.yaml)
#
# Needs the built distribution (mvn -B -q package -DskipTests) and the JDK's jcmd. Results go to a
# temporary folder, removed at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
runs="${1:-500}"
config="$(cd "$(dirname "${2:-$root/lem.app/src/bench/soak.yaml}")" && pwd)/$(basename "${2:-soak.yaml}")"
JCMD="${JAVA_HOME:+$JAVA_HOME/bin/}jcmd"
work="$(mktemp -d "${TMPDIR:-/tmp}/lem-soak.XXXXXX")"
mkfifo "$work/in"
cd "$work"
"$root/lem" < "$work/in" > "$work/out.log" 2>&1 &
host=$!
exec 3> "$work/in"
cleanup() { exec 3>&- || true; wait "$host" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
java=""
for _ in $(seq 1 600); do
  java="$(pgrep -P "$host" java || true)"
  [ -n "$java" ] && break
  sleep 0.1
done
[ -n "$java" ] || { echo "soak: the lem host did not start" >&2; exit 1; }

# each run ends with its summary's "Results:" line (or a failure); count them to know it is done
finished() { grep -c -E '^Results: |^gogo: |^gosh: |incomplete' "$work/out.log" || true; }
heap() {
  "$JCMD" "$java" GC.class_histogram > "$work/histo.txt"
  local bytes jobs
  bytes="$(awk '/^Total/ {print $3}' "$work/histo.txt")"
  jobs="$(awk '/CommandSessionImpl\$JobImpl$/ {print $2}' "$work/histo.txt")"
  printf '%s %s\n' "$bytes" "${jobs:-0}"
}
printf 'run  seconds  live heap after GC (KiB)  Gogo jobs on the heap\n'
start_heap=""
for i in $(seq 1 "$runs"); do
  t0=$(date +%s.%N)
  printf 'run %s\n' "$config" >&3
  while [ "$(finished)" -lt "$i" ]; do
    kill -0 "$host" 2>/dev/null || { echo "soak: the host exited; its output:" >&2; cat "$work/out.log" >&2; exit 1; }
    sleep 0.1
  done
  read -r bytes jobs < <(heap)
  [ -n "$start_heap" ] || start_heap="$bytes"
  printf '%4d  %7.1f  %24d  %21d\n' "$i" "$(echo "$(date +%s.%N) - $t0" | bc)" "$((bytes / 1024))" "$jobs"
done
per=$(( runs > 1 ? runs - 1 : 1 ))
printf 'heap growth over %d runs: %d KiB (%.1f KiB per run after the first)\n' "$runs" \
  "$(((bytes - start_heap) / 1024))" "$(echo "($bytes - $start_heap) / 1024 / $per" | bc -l)"
printf 'exit\n' >&3
