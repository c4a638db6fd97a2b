#!/usr/bin/env bash
# Decode ms per step on the GPU machine, in one device call: lem's DJL backend (its scripted and
# ndarray decoders in float16, the scripted one in bfloat16) against Hugging Face transformers eager (float16, bfloat16) for gpt2-small, a TinyLlama-1.1B
# and a Llama-3-8B config (random weights, no download), batch 1, 4 and 16, 32 prompt tokens and
# 32 new tokens. Run with the kit from gpu_kit.sh carried (KIT, default .device/djl):
#   KIT=.device/djl .device/djl/device/gpu_bench.sh [model ...]   (default: all three)
# Writes to $OUT: gpu.txt, bench.log (everything), results.txt (the RESULT lines).
set -u
here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/lem-djl-gpu-out}
mkdir -p "$OUT"
kit=$(cd "${KIT:-.device/djl}" && pwd)
tar xzf "$kit/jdk.tgz" -C /tmp
JAVA=/tmp/jdk/bin/java
# DJL on CUDA with the machine's own libtorch (/work/shared/device/djl-cuda/README.md)
TORCH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')
cp "$kit/0.35.1-libdjl_torch.so" "$TORCH/lib/0.35.1-libdjl_torch.so"
export PYTORCH_LIBRARY_PATH="$TORCH/lib" PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,power.limit,clocks.max.sm --format=csv > "$OUT/gpu.txt" 2>&1
cp=$(ls "$kit"/cp/*.jar | tr '\n' ':')
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(gpt2-small "$here/tinyllama-1.1b.json" "$here/llama-3-8b.json")
log="$OUT/bench.log"
run_djl() { # precision model batches [java options]
  timeout 300 "$JAVA" -Xmx64g -Dai.djl.offline=true -Dlem.djl.cache=/tmp/djl-cache ${4:-} -cp "$cp" \
    lem.backend.djl.GpuDecodeBenchmark cuda "$1" "$2" "$3" >> "$log" 2>&1
  echo "exit $?" | tee -a "$log"
}
# float32 first: its greedy tokens are the reference the float16 rows' first_tokens are read against
if [ "${REFERENCE:-1}" = 1 ]; then
  echo "== djl gpt2-small float32" | tee -a "$log"
  run_djl float32 gpt2-small 1
fi
# env: PRECISIONS (default "float16 bfloat16"), DECODERS (default "scripted ndarray"; ndarray has no
# bfloat16), PROFILE=0 to skip the profiled run, HF=0 to skip Hugging Face
for model in "${models[@]}"; do
  for precision in ${PRECISIONS:-float16 bfloat16}; do
    for decoder in ${DECODERS:-scripted ndarray}; do
      [ "$decoder/$precision" != ndarray/bfloat16 ] || continue
      echo "== djl $decoder $model $precision" | tee -a "$log"
      run_djl "$precision" "$model" 1,4,16 "-Dlem.bench.decoder=$decoder"
    done
    if [ "${HF:-1}" = 1 ]; then
      echo "== hf-eager $model $precision" | tee -a "$log"
      timeout 240 python3 "$here/hf_eager_decode.py" "$model" "$precision" 1,4,16 >> "$log" 2>&1
      echo "exit $?" | tee -a "$log"
    fi
    grep RESULT "$log" > "$OUT/results.txt"
    tail -3 "$log"
  done
done
# where a decode step's time goes: PyTorch's profiler over one gpt2-small batch (Chrome trace)
if [ "${PROFILE:-1}" = 1 ]; then
  echo "== djl gpt2-small float16 profiled" | tee -a "$log"
  run_djl float16 gpt2-small 1 "-Dlem.bench.profile=$OUT/gpt2-small-float16-trace.json -Dlem.bench.decoder=scripted"
  gzip -f "$OUT/gpt2-small-float16-trace.json" 2>/dev/null
fi
grep RESULT "$log" > "$OUT/results.txt"
cat "$OUT/gpu.txt" "$OUT/results.txt"
