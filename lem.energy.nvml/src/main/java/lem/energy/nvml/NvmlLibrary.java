package lem.energy.nvml;

import com.sun.jna.Library;
import com.sun.jna.Pointer;

/**
 * The NVML functions lem calls, bound by JNA at run time. Signatures follow nvml.h: every return
 * code and enum is an {@code int}, {@code nvmlDevice_t} is an opaque pointer, out parameters are
 * caller-owned buffers (lem passes preallocated {@link com.sun.jna.Memory} so that sampling
 * allocates little).
 */
interface NvmlLibrary extends Library {
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

    /** {@code unsigned long long*}: mJ since the driver loaded. */
    int nvmlDeviceGetTotalEnergyConsumption(Pointer device, Pointer energyMillijoules);

    /** {@code unsigned int*}: mW. */
    int nvmlDeviceGetPowerUsage(Pointer device, Pointer powerMilliwatts);

    /** {@code nvmlFieldValue_t values[count]}, 40 bytes each. */
    int nvmlDeviceGetFieldValues(Pointer device, int count, Pointer values);

    int nvmlDeviceGetTemperature(Pointer device, int sensorType, Pointer celsius);

    int nvmlDeviceGetClockInfo(Pointer device, int clockType, Pointer megahertz);

    /** {@code nvmlUtilization_t*}: u32 gpu, u32 memory (percent). */
    int nvmlDeviceGetUtilizationRates(Pointer device, Pointer utilization);

    /** {@code nvmlMemory_t*}: u64 total, free, used (bytes). */
    int nvmlDeviceGetMemoryInfo(Pointer device, Pointer memory);

    int nvmlDeviceGetEnforcedPowerLimit(Pointer device, Pointer limitMilliwatts);

    /** {@code unsigned long long*}: clock-event reason bits (newer drivers). */
    int nvmlDeviceGetCurrentClocksEventReasons(Pointer device, Pointer reasons);

    /** The same, under its older name. */
    int nvmlDeviceGetCurrentClocksThrottleReasons(Pointer device, Pointer reasons);

    int nvmlDeviceGetPerformanceState(Pointer device, Pointer pstate);

    int nvmlDeviceGetMigMode(Pointer device, Pointer currentMode, Pointer pendingMode);

    int nvmlDeviceIsMigDeviceHandle(Pointer device, Pointer isMig);

    int nvmlDeviceGetMaxMigDeviceCount(Pointer device, Pointer count);

    int nvmlDeviceGetMigDeviceHandleByIndex(Pointer device, int index, Pointer migDevice);

    int nvmlDeviceGetDeviceHandleFromMigDeviceHandle(Pointer migDevice, Pointer device);
}
