"""A ~20 s bf16 matmul load on one GPU, its energy read with pynvml over the same window.

Run by lem's LoadWindowMeasurement: prints LOAD_READY once warmed up, waits for GO on stdin,
runs the load, prints LOAD_DONE joules=.. start_ns=.. end_ns=.. (time.monotonic_ns, which is
CLOCK_MONOTONIC like Java's System.nanoTime on Linux).
"""
import argparse
import sys
import time

import pynvml
import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--size", type=int, default=8192)
    args = parser.parse_args()

    pynvml.nvmlInit()
    props = torch.cuda.get_device_properties(0)
    uuid = str(props.uuid)
    if not uuid.startswith("GPU-"):
        uuid = "GPU-" + uuid
    handle = pynvml.nvmlDeviceGetHandleByUUID(uuid)

    # random data: zeros would run faster than real work
    a = torch.randn(args.size, args.size, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(args.size, args.size, device="cuda", dtype=torch.bfloat16)
    for _ in range(10):  # cuBLAS handles and kernels chosen outside the window
        c = a @ b
    torch.cuda.synchronize()

    print(f"LOAD_READY uuid={uuid} name={props.name.replace(' ', '_')}", flush=True)
    if sys.stdin.readline().strip() != "GO":
        sys.exit("expected GO on stdin")

    start_ns = time.monotonic_ns()
    start_mj = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
    products = 0
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        for _ in range(50):
            c = a @ b
        torch.cuda.synchronize()
        products += 50
    end_mj = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
    end_ns = time.monotonic_ns()
    seconds = (end_ns - start_ns) / 1e9
    tflops = products * 2 * args.size ** 3 / seconds / 1e12
    print(f"LOAD_DONE joules={(end_mj - start_mj) / 1000.0:.3f} start_ns={start_ns} end_ns={end_ns}"
          f" products={products} tflops={tflops:.1f} checksum={float(c[0, 0]):.3f}", flush=True)
    pynvml.nvmlShutdown()


if __name__ == "__main__":
    main()
