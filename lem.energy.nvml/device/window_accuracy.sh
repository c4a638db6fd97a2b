#!/usr/bin/env bash
# The short-window device run: lem's NVML source over 1, 3 and 25 s windows beside pynvml's
# counter logged back to back (see WindowAccuracy and compare_window_accuracy.py).
# Expects $KIT/jre.tgz (a jlinked Java) and $KIT/lib/*.jar (lem.api, lem.energy.nvml, jna);
# writes window-accuracy.log and counter.csv to $OUT.
set -euo pipefail
DIR=$(cd "$(dirname "$0")" && pwd)
KIT=${KIT:-$PWD/.device}
OUT=${OUT:-$PWD/device-out}
mkdir -p "$OUT"
tar xzf "$KIT/jre.tgz" -C /tmp
JAVA=/tmp/jre25/bin/java
CP=$(ls "$KIT"/lib/*.jar | tr '\n' ':')
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv | tee "$OUT/gpu.txt"
# steady: the load runs across both edges (only the counter's steps matter); cycle: the window opens
# on an idle GPU and the load runs inside it, as in a measured cycle
for scenario in steady:1000 cycle:0; do
  name=${scenario%%:*}; margin=${scenario##*:}
  "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$CP" lem.energy.nvml.WindowAccuracy \
      --windows "${WINDOWS:-1,3,25}" --repeats "${REPEATS:-3}" --interval-ms "${INTERVAL_MS:-100}" \
      --load-margin-ms "$margin" -- python3 "$DIR/window_load.py" "$OUT/counter-$name.csv" 2>&1 \
      | grep -v '^load:' > "$OUT/window-accuracy-$name.log"
  echo "== $name (load margin $margin ms, sampling every ${INTERVAL_MS:-100} ms)"
  python3 "$DIR/compare_window_accuracy.py" "$OUT/window-accuracy-$name.log" "$OUT/counter-$name.csv" \
      | tee "$OUT/comparison-$name.txt"
done
