#!/usr/bin/env bash
# The cost of measuring on the GPU machine: `lem bench overhead` (meters off / on at 100 ms / on at
# 10 ms, interleaved, REPEATS runs each) of gpt2-small float16 on CUDA through DJL, batch 1 and 16.
# Run from the repository root with .device/gpu from overhead_kit.sh carried, or with $JAVA (or
# ./jdk/bin/java) and $LEM_HOME (or ./lem-dist) already there:
#   lem.runtime/device/overhead_gpu.sh [config.yaml ...]   (default: the two configs beside it)
# Writes to $OUT: gpu.txt, energy.txt, and per config overhead-<name>.txt (each run's line and the
# table) and overhead-<name>-runs.csv.
set -u
here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/lem-overhead-out}
mkdir -p "$OUT"
kit=$(pwd)/.device/gpu
[ -n "${JAVA:-}" ] || { [ -x ./jdk/bin/java ] && JAVA=$(pwd)/jdk/bin/java; } || { tar xzf "$kit/jdk.tgz" -C /tmp && JAVA=/tmp/jdk/bin/java; }
[ -n "${LEM_HOME:-}" ] || { [ -x ./lem-dist/bin/lem ] && LEM_HOME=$(pwd)/lem-dist; } || { tar xzf "$kit/lem.tgz" -C /tmp && LEM_HOME=/tmp/lem; }
JAVA=$(realpath "$JAVA") LEM_HOME=$(realpath "$LEM_HOME")
export JAVA_HOME=$(dirname "$(dirname "$JAVA")")
# DJL on CUDA with the machine's own libtorch (/work/shared/device/djl-cuda/README.md)
TORCH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')
cp "${DJL_JNI:-$kit/0.35.1-libdjl_torch.so}" "$TORCH/lib/0.35.1-libdjl_torch.so"
export PYTORCH_LIBRARY_PATH="$TORCH/lib" PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128
export LEM_JAVA_OPTS="-Dai.djl.offline=true ${LEM_JAVA_OPTS:-}"
lem="$LEM_HOME/bin/lem"
nvidia-smi --query-gpu=name,driver_version,power.limit,clocks.sm --format=csv > "$OUT/gpu.txt" 2>&1
"$lem" energy > "$OUT/energy.txt" 2>&1
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=("$here/overhead-gpt2-small-cuda-b1.yaml" "$here/overhead-gpt2-small-cuda-b16.yaml")
for config in "${configs[@]}"; do
  name=$(basename "$config" .yaml)
  config=$(realpath "$config") # before the cd below
  work=$(mktemp -d)
  (cd "$work" && "$lem" bench overhead "$config" --repeats "${REPEATS:-5}") > "$OUT/overhead-$name.txt" 2>&1
  echo "exit $?" >> "$OUT/overhead-$name.txt"
  cp "$work"/results/overhead-*/overhead-runs.csv "$OUT/overhead-$name-runs.csv" 2>/dev/null
  cat "$OUT/overhead-$name.txt"
done
cat "$OUT/gpu.txt" "$OUT/energy.txt"
