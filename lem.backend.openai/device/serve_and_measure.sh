#!/usr/bin/env bash
# On the GPU machine: random_model_server.py serves a random-weight Llama on the GPU, and lem's
# openai backend measures it with the NVML source, open loop at a few Poisson rates and closed loop
# at a few concurrencies. Needs the kit of lem.runtime/device/overhead_kit.sh in $KIT (jdk.tgz,
# lem.tgz). Writes every result folder's summary and a table of the figures to $OUT.
set -u
here=$(cd "$(dirname "$0")" && pwd)
KIT=${KIT:-$PWD/.device/gpu}
OUT=${OUT:-/tmp/lem-serve-out}
mkdir -p "$OUT"
tar xzf "$KIT/jdk.tgz" -C /tmp && tar xzf "$KIT/lem.tgz" -C /tmp
export JAVA_HOME=/tmp/jdk PYTHONUNBUFFERED=1
L=/tmp/lem/bin/lem
python3 "$here/random_model_server.py" --port 8000 ${SERVER_ARGS:-} > "$OUT/server.log" 2>&1 &
server=$!
for i in $(seq 1 120); do curl -sf http://127.0.0.1:8000/health >/dev/null && break; sleep 1; done
uuid=$(nvidia-smi --query-gpu=uuid --format=csv,noheader | head -1)
rm -rf /tmp/serve && mkdir -p /tmp/serve && cd /tmp/serve
base() {  # $1 name, then extra YAML lines
  cat <<YAML
name: $1
model: {source: served, name: random-llama}
backend:
  name: openai
  openai: {url: "http://127.0.0.1:8000", device_ids: ["$uuid"]${3:-}}
prompts: {source: synthetic, count: ${COUNT:-64}, synthetic: {input_tokens: 256}}
decoder: {min_new_tokens: 64, max_new_tokens: 64}
warmup: {enabled: false}
baseline: {duration_s: 5, interval_ms: 100}
cycles: 2
energy: {sources: [nvml], interval_ms: 100}
$2
YAML
}
for qps in ${RATES:-2 8}; do
  base "open-qps$qps" "traffic: {pattern: poisson, target_qps: $qps, seed: 1}" > "open-qps$qps.yaml"
done
for c in ${CONCURRENCY:-1 16}; do
  base "closed-c$c" "traffic: {pattern: none}" ", load_mode: closed, concurrency: $c" > "closed-c$c.yaml"
done
for f in *.yaml; do
  echo "== lem run $f" | tee -a "$OUT/runs.txt"
  $L run "$f" >> "$OUT/runs.txt" 2>&1; echo "exit $?" >> "$OUT/runs.txt"
done
kill $server
python3 - "$OUT" <<'PY' | tee "$OUT/table.txt"
import glob, json, sys
print(f"{'experiment':<14} {'req/s':>6} {'ttft p50/p99 ms':>16} {'queue p50/p99 ms':>17} {'itl p50/p99 ms':>15} "
      f"{'tok/s':>7} {'J/tok':>6} {'prefill/decode/other J':>24} {'steady J/tok':>12} {'in flight':>9}")
for path in sorted(glob.glob("results/*/result.json")):
    r = json.load(open(path)); o = r["overall"]
    if o is None:
        print(path, "no metrics"); continue
    l = o["latency"]; p = o.get("phase_energy") or {}; s = o.get("steady_state") or {}
    f = lambda x, k: x.get(k) if x else None
    print(f"{r['name']:<14} {o['requests_per_second']:>6.2f} {l['ttft_ms']['median']:>7.1f}/{l['ttft_ms']['p99']:<8.1f} "
          f"{l['queue_ms']['median']:>7.1f}/{l['queue_ms']['p99']:<9.1f} {l['itl_raw_ms']['median']:>6.2f}/{l['itl_raw_ms']['p99']:<8.2f} "
          f"{o['output_tokens_per_second']:>7.1f} {o['joules_per_output_token'] or float('nan'):>6.3f} "
          f"{p.get('prefill_joules', 0):>8.1f}/{p.get('decode_joules', 0):.1f}/{p.get('other_joules', 0):.1f} "
          f"{s.get('joules_per_output_token') or float('nan'):>12.3f} {s.get('in_flight', 0):>9}")
PY
cp -r results "$OUT/results" 2>/dev/null; (cd "$OUT" && tar czf results.tgz results && rm -rf results)
