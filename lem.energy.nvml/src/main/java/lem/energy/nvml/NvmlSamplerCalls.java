package lem.energy.nvml;

import com.sun.jna.Pointer;

/**
 * The NVML calls made per sample or per counter read: bound through JNA direct mapping where
 * possible ({@link DirectSamplerCalls}), since the interface proxy costs much more per call
 * while the sampler's code is still interpreted.
 */
interface NvmlSamplerCalls {
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

    /** {@code unsigned long long*}: clock-event reason bits (newer drivers). */
    int nvmlDeviceGetCurrentClocksEventReasons(Pointer device, Pointer reasons);

    int nvmlDeviceGetPerformanceState(Pointer device, Pointer pstate);
}
