package lem.energy.nvml;

import com.sun.jna.Library;
import com.sun.jna.Pointer;

/**
 * The NVML functions lem calls, bound by JNA at run time. Signatures follow nvml.h: every return
 * code and enum is an {@code int}, {@code nvmlDevice_t} is an opaque pointer, out parameters are
 * caller-owned buffers (lem passes preallocated {@link com.sun.jna.Memory} so that sampling
 * allocates little). The calls the sampler makes are declared in {@link NvmlSamplerCalls}.
 */
interface NvmlLibrary extends Library, NvmlSamplerCalls {
    int nvmlInit_v2();

    int nvmlShutdown();

    String nvmlErrorString(int result);

    int nvmlSystemGetDriverVersion(Pointer version, int length);

    /** {@code int*}: 12040 means CUDA 12.4. */
    int nvmlSystemGetCudaDriverVersion(Pointer version);

    int nvmlDeviceGetCount_v2(Pointer count);

    int nvmlDeviceGetHandleByIndex_v2(int index, Pointer device);

    int nvmlDeviceGetUUID(Pointer device, Pointer uuid, int length);

    int nvmlDeviceGetName(Pointer device, Pointer name, int length);

    int nvmlDeviceGetEnforcedPowerLimit(Pointer device, Pointer limitMilliwatts);

    /** The same, under its older name. */
    int nvmlDeviceGetCurrentClocksThrottleReasons(Pointer device, Pointer reasons);

    int nvmlDeviceGetMigMode(Pointer device, Pointer currentMode, Pointer pendingMode);

    int nvmlDeviceIsMigDeviceHandle(Pointer device, Pointer isMig);

    int nvmlDeviceGetMaxMigDeviceCount(Pointer device, Pointer count);

    int nvmlDeviceGetMigDeviceHandleByIndex(Pointer device, int index, Pointer migDevice);

    int nvmlDeviceGetDeviceHandleFromMigDeviceHandle(Pointer migDevice, Pointer device);
}
