package lem.energy.nvml;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * {@link NvmlSamplerCalls} through JNA direct mapping: static natives registered once per JVM
 * against one library. A JVM that loads a second, different library (tests, a reconfigured
 * component) keeps the interface proxy for that one.
 */
final class DirectSamplerCalls implements NvmlSamplerCalls {
    /** The library the natives are bound to, null while unbound. */
    private static String boundLibrary;
    private static final DirectSamplerCalls INSTANCE = new DirectSamplerCalls();

    private DirectSamplerCalls() {
    }

    /**
     * The direct calls when they are (or can now be) bound to {@code libraryName}; null when
     * they are bound to another library or this one lacks one of the functions.
     */
    static synchronized NvmlSamplerCalls bind(String libraryName) {
        if (boundLibrary == null) {
            try {
                Native.register(Natives.class, NativeLibrary.getInstance(libraryName));
                boundLibrary = libraryName;
            } catch (UnsatisfiedLinkError | IllegalArgumentException e) {
                Native.unregister(Natives.class);
                return null; // an older driver without nvmlDeviceGetCurrentClocksEventReasons, say
            }
        }
        return boundLibrary.equals(libraryName) ? INSTANCE : null;
    }

    /** Named as the C functions: direct mapping binds by name. */
    private static final class Natives {
        static native int nvmlDeviceGetTotalEnergyConsumption(Pointer device, Pointer energyMillijoules);

        static native int nvmlDeviceGetPowerUsage(Pointer device, Pointer powerMilliwatts);

        static native int nvmlDeviceGetFieldValues(Pointer device, int count, Pointer values);

        static native int nvmlDeviceGetTemperature(Pointer device, int sensorType, Pointer celsius);

        static native int nvmlDeviceGetClockInfo(Pointer device, int clockType, Pointer megahertz);

        static native int nvmlDeviceGetUtilizationRates(Pointer device, Pointer utilization);

        static native int nvmlDeviceGetMemoryInfo(Pointer device, Pointer memory);

        static native int nvmlDeviceGetCurrentClocksEventReasons(Pointer device, Pointer reasons);

        static native int nvmlDeviceGetPerformanceState(Pointer device, Pointer pstate);
    }

    @Override
    public int nvmlDeviceGetTotalEnergyConsumption(Pointer device, Pointer energyMillijoules) {
        return Natives.nvmlDeviceGetTotalEnergyConsumption(device, energyMillijoules);
    }

    @Override
    public int nvmlDeviceGetPowerUsage(Pointer device, Pointer powerMilliwatts) {
        return Natives.nvmlDeviceGetPowerUsage(device, powerMilliwatts);
    }

    @Override
    public int nvmlDeviceGetFieldValues(Pointer device, int count, Pointer values) {
        return Natives.nvmlDeviceGetFieldValues(device, count, values);
    }

    @Override
    public int nvmlDeviceGetTemperature(Pointer device, int sensorType, Pointer celsius) {
        return Natives.nvmlDeviceGetTemperature(device, sensorType, celsius);
    }

    @Override
    public int nvmlDeviceGetClockInfo(Pointer device, int clockType, Pointer megahertz) {
        return Natives.nvmlDeviceGetClockInfo(device, clockType, megahertz);
    }

    @Override
    public int nvmlDeviceGetUtilizationRates(Pointer device, Pointer utilization) {
        return Natives.nvmlDeviceGetUtilizationRates(device, utilization);
    }

    @Override
    public int nvmlDeviceGetMemoryInfo(Pointer device, Pointer memory) {
        return Natives.nvmlDeviceGetMemoryInfo(device, memory);
    }

    @Override
    public int nvmlDeviceGetCurrentClocksEventReasons(Pointer device, Pointer reasons) {
        return Natives.nvmlDeviceGetCurrentClocksEventReasons(device, reasons);
    }

    @Override
    public int nvmlDeviceGetPerformanceState(Pointer device, Pointer pstate) {
        return Natives.nvmlDeviceGetPerformanceState(device, pstate);
    }
}
