"""WindowAccuracy's windows beside pynvml's counter at the same instants.

The reference: pynvml's back-to-back reads of the counter; each change of value is a step, placed
midway between the read before it and the read that saw it; the energy at an instant is linear
between the steps around it. 'plain delta' is what two reads at the edges would give (the value
last read at or before each edge): the error lem's step placement removes.
Usage: compare_window_accuracy.py windowaccuracy.log counter.csv
"""
import bisect
import csv
import re
import statistics
import sys

steps = []  # (ns, mJ)
reads = []  # (mid ns, mJ)
previous = None
for row in csv.DictReader(open(sys.argv[2])):
    before, after, mj = int(row["before_ns"]), int(row["after_ns"]), int(row["energy_mj"])
    mid = (before + after) // 2
    if previous is not None and mj != previous[1]:
        steps.append(((previous[0] + mid) // 2, mj))
    reads.append((mid, mj))
    previous = (mid, mj)
step_times = [s[0] for s in steps]
read_times = [r[0] for r in reads]


def interpolated(t):
    i = bisect.bisect_left(step_times, t)
    if i == 0 or i >= len(steps):
        return None
    (t0, e0), (t1, e1) = steps[i - 1], steps[i]
    return e0 + (e1 - e0) * (t - t0) / (t1 - t0)


def last_read(t):
    i = bisect.bisect_right(read_times, t)
    return reads[i - 1][1] if i > 0 else None


windows = []
for line in open(sys.argv[1]):
    if line.startswith("WINDOW"):
        f = dict(kv.split("=", 1) for kv in line.split()[1:])
        windows.append(f)

print(f"counter log: {len(reads)} reads, {len(steps)} steps, median step "
      f"{statistics.median([b[0] - a[0] for a, b in zip(steps, steps[1:])]) / 1e6:.1f} ms, median read "
      f"{statistics.median([b - a for a, b in zip(read_times, read_times[1:])]) / 1e6:.2f} ms apart")
print(f"{'window s':>8} {'lem J':>10} {'pynvml J':>10} {'lem diff':>9} {'stated +-':>9} {'plain delta J':>13} {'plain diff':>10}")
by_length = {}
for w in windows:
    start, end, lem = int(w["start_ns"]), int(w["end_ns"]), float(w["lem_j"])
    a, b = interpolated(start), interpolated(end)
    if a is None or b is None:
        print(f"{(end - start) / 1e9:>8.3f} outside the counter log")
        continue
    ref = (b - a) / 1000
    plain = (last_read(end) - last_read(start)) / 1000
    diff = 100 * (lem - ref) / ref
    plain_diff = 100 * (plain - ref) / ref
    by_length.setdefault(w["length_s"], []).append((diff, plain_diff))
    print(f"{(end - start) / 1e9:>8.3f} {lem:>10.2f} {ref:>10.2f} {diff:>8.2f}% {float(w['expected_error_j']):>8.2f}J "
          f"{plain:>13.2f} {plain_diff:>9.2f}%")
print()
print(f"{'window s':>8} {'n':>3} {'lem mean |diff|':>15} {'lem max |diff|':>14} {'plain mean |diff|':>17} {'plain max |diff|':>16}")
for length, rows in sorted(by_length.items(), key=lambda kv: float(kv[0])):
    lem_abs = [abs(r[0]) for r in rows]
    plain_abs = [abs(r[1]) for r in rows]
    print(f"{float(length):>8.0f} {len(rows):>3} {statistics.mean(lem_abs):>14.3f}% {max(lem_abs):>13.3f}% "
          f"{statistics.mean(plain_abs):>16.3f}% {max(plain_abs):>15.3f}%")
