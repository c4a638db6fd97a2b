#!/usr/bin/env bash
# The whole distribution on the GPU machine, once: `lem run` of gpt2-small on CUDA through DJL (PRECISION,
# default bfloat16: the scripted decoder's default on CUDA) with the NVML source and perplexity of
# an evaluation text, then `lem report` and
# `lem results query` on its results (the device kit carries an empty DuckDB jar, so the query must
# fail with a message and the run must not). Run from the repository root with .device/gpu from
# overhead_kit.sh carried; writes run.txt, report.txt, query.txt and the results folder to $OUT.
set -u
OUT=${OUT:-/tmp/lem-e2e-out}
mkdir -p "$OUT"
kit=$(pwd)/.device/gpu
tar xzf "$kit/jdk.tgz" -C /tmp && tar xzf "$kit/lem.tgz" -C /tmp
export JAVA_HOME=/tmp/jdk
TORCH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')
cp "$kit/0.35.1-libdjl_torch.so" "$TORCH/lib/0.35.1-libdjl_torch.so"
export PYTORCH_LIBRARY_PATH="$TORCH/lib" PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128
export LEM_JAVA_OPTS="-Dai.djl.offline=true"
lem=/tmp/lem/bin/lem
work=$(mktemp -d) && cd "$work"
python3 - > eval.txt <<'PY'
import random
random.seed(7)
words = "the a energy of model token power joule measured per second batch cycle window".split()
print(" ".join(random.choice(words) for _ in range(600)))
PY
cat > e2e.yaml <<YAML
name: gpu-e2e
model: {source: synthetic, name: gpt2-small, seed: 42}
precision: ${PRECISION:-bfloat16}
backend: {name: djl, device: cuda}
prompts: {source: synthetic, count: 16, synthetic: {input_tokens: 64, seed: 7}}
decoder: {min_new_tokens: 64, max_new_tokens: 64}
batching: {strategy: static, batch_size: 4}
energy: {sources: [nvml, codecarbon], interval_ms: 100}
baseline: {duration_s: 3}
cycles: 2
quality: {eval_text: eval.txt, generated: true}
YAML
"$lem" run e2e.yaml > "$OUT/run.txt" 2>&1; echo "exit $?" >> "$OUT/run.txt"
id=$(ls results | grep '^gpu-e2e-' | head -1)
"$lem" report "$id" > "$OUT/report.txt" 2>&1; echo "exit $?" >> "$OUT/report.txt"
"$lem" results query "SELECT experiment_id, batch_size FROM experiments" > "$OUT/query.txt" 2>&1; echo "exit $?" >> "$OUT/query.txt"
tar czf "$OUT/results.tgz" results
