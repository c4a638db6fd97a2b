"""lem's per-cycle NVML energy against pynvml's counter over the same window (linear
interpolation of the counter log at the window's start and end)."""
import bisect
import csv
import glob
import json
import sys

results, counter_csv = sys.argv[1], sys.argv[2]
log = {}
for row in csv.DictReader(open(counter_csv)):
    log.setdefault(row["uuid"], []).append((int(row["monotonic_ns"]), int(row["energy_mj"])))


def counter_at(uuid, t):
    points = log[uuid]
    times = [p[0] for p in points]
    i = bisect.bisect_left(times, t)
    if i == 0 or i >= len(points):
        return None
    (t0, e0), (t1, e1) = points[i - 1], points[i]
    return e0 + (e1 - e0) * (t - t0) / (t1 - t0)


print(f"{'cycle':>5} {'device':<42} {'window s':>9} {'lem J':>10} {'pynvml J':>10} {'diff %':>7}  method")
for path in sorted(glob.glob(f"{results}/*/raw/cycle_*/process_0.json")):
    raw = json.load(open(path))
    for reading in raw["energy"]:
        if reading["source"] != "nvml":
            continue
        start, end = reading["start_nanos"], reading["end_nanos"]
        for d in reading["devices"]:
            a, b = counter_at(d["device_id"], start), counter_at(d["device_id"], end)
            ref = (b - a) / 1000 if a is not None and b is not None else float("nan")
            lem = d["energy_joules"]
            print(f"{raw['cycle']:>5} {d['device_id']:<42} {(end - start) / 1e9:>9.3f} {lem:>10.1f} {ref:>10.1f} "
                  f"{100 * (lem - ref) / ref:>7.2f}  {d['method']}")
