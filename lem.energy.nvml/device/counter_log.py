"""Independent reference for in_framework.sh: reads every GPU's NVML energy counter with pynvml
every 20 ms (time.monotonic_ns, the clock Java's System.nanoTime uses on Linux), and runs a bf16
matmul load on GPU 0 from the moment /tmp/go exists until /tmp/stop exists."""
import os
import sys
import threading
import time

import pynvml
import torch

out = sys.argv[1]
pynvml.nvmlInit()
handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
uuids = [pynvml.nvmlDeviceGetUUID(h) for h in handles]
uuids = [u.decode() if isinstance(u, bytes) else u for u in uuids]


def load():
    while not os.path.exists("/tmp/go"):
        time.sleep(0.01)
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    n = 0
    while not os.path.exists("/tmp/stop"):
        for _ in range(20):
            a @ b
        torch.cuda.synchronize()
        n += 20
    print(f"load: {n} matmuls of 8192^2 bf16")


worker = threading.Thread(target=load)
worker.start()
with open(out, "w") as f:
    f.write("monotonic_ns,uuid,energy_mj\n")
    while not os.path.exists("/tmp/stop"):
        for h, u in zip(handles, uuids):
            t = time.monotonic_ns()
            f.write(f"{t},{u},{pynvml.nvmlDeviceGetTotalEnergyConsumption(h)}\n")
        time.sleep(0.02)
worker.join()
pynvml.nvmlShutdown()
