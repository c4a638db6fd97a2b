#!/usr/bin/env bash
# The NVML device run: lem's sampler benchmark on the real libnvidia-ml, then lem's NVML source
# around a ~20 s bf16 matmul load that pynvml measures over the same window.
# Expects (see README.md): $DIR/jre (a jlinked Java), $DIR/lib/*.jar (lem.api, lem.energy.nvml,
# jna), $DIR/nvml_load.py; writes its log to $OUT (or ./device-out).
set -euo pipefail
DIR=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$PWD/device-out}
mkdir -p "$OUT"
JAVA="${JAVA:-$DIR/../jre/bin/java}"
[ -x "$JAVA" ] || JAVA=java
CP=$(ls "$DIR"/lib/*.jar | tr '\n' ':')
JOPTS=(--enable-native-access=ALL-UNNAMED -cp "$CP")
export PYTHONUNBUFFERED=1
{
  nvidia-smi --query-gpu=name,uuid,driver_version,power.limit,power.draw,temperature.gpu,clocks.sm --format=csv || true
  echo "== sampler benchmark (idle GPU, real libnvidia-ml) =="
  "$JAVA" "${JOPTS[@]}" lem.energy.nvml.SamplerBenchmark --seconds "${BENCH_SECONDS:-5}" --intervals-ms 10,100
  echo "== load window: lem vs pynvml =="
  "$JAVA" "${JOPTS[@]}" lem.energy.nvml.LoadWindowMeasurement --idle-seconds "${IDLE_SECONDS:-10}" \
      --interval-ms "${INTERVAL_MS:-100}" -- python3 "$DIR/nvml_load.py" --seconds "${LOAD_SECONDS:-20}"
} 2>&1 | tee "$OUT/device-run.log"
