"""Load and independent reference for WindowAccuracy: a bf16 matmul load on GPU 0 on request, and
a thread that reads that GPU's NVML energy counter with pynvml back to back the whole time,
logging each read's CLOCK_MONOTONIC instants (time.monotonic_ns, the clock of Java's
System.nanoTime on Linux) before and after the call. Protocol: prints LOAD_READY uuid=..; on
'LOAD <s>' runs the load that long and prints DONE; on 'QUIT' writes the log (argv[1]) and exits.
"""
import sys
import threading
import time

import pynvml
import torch

log_path = sys.argv[1]
pynvml.nvmlInit()
props = torch.cuda.get_device_properties(0)
uuid = str(props.uuid)
if not uuid.startswith("GPU-"):
    uuid = "GPU-" + uuid
handle = pynvml.nvmlDeviceGetHandleByUUID(uuid)
reads = []
running = True


def logger():
    while running:
        before = time.monotonic_ns()
        mj = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
        after = time.monotonic_ns()
        reads.append((before, after, mj))
        time.sleep(0.001)  # leave lem's own reads room: NVML answers one caller at a time


a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
for _ in range(10):
    a @ b
torch.cuda.synchronize()
thread = threading.Thread(target=logger)
thread.start()
print(f"LOAD_READY uuid={uuid}", flush=True)
for line in sys.stdin:
    words = line.split()
    if words and words[0] == "LOAD":
        deadline = time.monotonic() + float(words[1])
        while time.monotonic() < deadline:
            for _ in range(5):
                a @ b
            torch.cuda.synchronize()
        print("DONE", flush=True)
    elif words and words[0] == "QUIT":
        break
running = False
thread.join()
with open(log_path, "w") as f:
    f.write("before_ns,after_ns,energy_mj\n")
    for before, after, mj in reads:
        f.write(f"{before},{after},{mj}\n")
print(f"reads: {len(reads)}", file=sys.stderr)
