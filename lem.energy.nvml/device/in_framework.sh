#!/usr/bin/env bash
# The whole distribution on a GPU host: lem's NVML bundle inside Felix, measuring a real run.
# Runs `lem energy`, `lem baseline`, then `lem run` of a 3-cycle experiment (the example-echo
# backend, energy from nvml and codecarbon) while a torch bf16 matmul load runs on the GPU during
# the cycles, and compares each cycle's NVML energy with pynvml's counter read independently over
# the same window (System.nanoTime and time.monotonic_ns are both CLOCK_MONOTONIC), then
# `lem monitor`.
#
# Needs: .device/gpu/jre.tgz (a jlinked Java) and .device/gpu/lem.tgz (the distribution without
# the DJL bundle, plugins/ holding lem.example.backend) made on the build machine; python3 with
# torch and pynvml on the GPU host. Writes its outputs to $OUT.
set -u
OUT="${OUT:-/tmp/lem-gpu-out}"
mkdir -p "$OUT"
here="$(cd "$(dirname "$0")" && pwd)"
kit="${KIT:-$(pwd)/.device/gpu}"
tar xzf "$kit/jre.tgz" -C /tmp && tar xzf "$kit/lem.tgz" -C /tmp
export JAVA_HOME=/tmp/jre
L=/tmp/lem/bin/lem
rm -rf /tmp/exp /tmp/go /tmp/stop && mkdir -p /tmp/exp && cd /tmp/exp
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv > "$OUT/gpu.txt" 2>&1

$L energy > "$OUT/energy.txt" 2>&1; echo "lem energy exit $?" >> "$OUT/energy.txt"
$L baseline --duration 10 --interval-ms 100 > "$OUT/baseline.txt" 2>&1

cat > gpu.yaml <<'YAML'
name: gpu-load
model: {source: synthetic, name: echo}
backend: {name: example-echo, device: cpu}
prompts: {source: synthetic, count: 48, synthetic: {input_tokens: 16}}
decoder: {min_new_tokens: 64, max_new_tokens: 64}
warmup: {enabled: false}
baseline: {duration_s: 10, interval_ms: 100}
cycles: 3
energy: {sources: [nvml, codecarbon], interval_ms: 50}
timeseries: {enabled: true, interval_ms: 50}
YAML

PYTHONUNBUFFERED=1 python3 "$here/counter_log.py" /tmp/counter.csv > "$OUT/load.txt" 2>&1 &
logger=$!
$L run gpu.yaml > "$OUT/run.txt" 2>&1 &
run=$!
# the load starts with the first cycle, after lem's idle baseline
until grep -q "cycle 1/3" "$OUT/run.txt" 2>/dev/null || ! kill -0 $run 2>/dev/null; do sleep 0.1; done
touch /tmp/go
wait $run; echo "lem run exit $?" >> "$OUT/run.txt"
touch /tmp/stop; wait $logger

python3 "$here/compare_windows.py" /tmp/exp/results /tmp/counter.csv > "$OUT/compare.txt" 2>&1
$L monitor --count 3 > "$OUT/monitor.txt" 2>&1
tar czf "$OUT/results.tgz" -C /tmp/exp results
cat "$OUT/gpu.txt" "$OUT/energy.txt" "$OUT/baseline.txt" "$OUT/compare.txt" "$OUT/monitor.txt"
tail -40 "$OUT/run.txt"
