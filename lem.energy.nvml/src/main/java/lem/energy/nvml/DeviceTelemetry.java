package lem.energy.nvml;

import java.util.Arrays;
import java.util.Map;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import lem.api.energy.PowerSample;

/**
 * Reads one device's power and telemetry for the sampler, into buffers allocated once. A reading
 * the device does not support is dropped for the rest of the session after its first refusal,
 * so that later samples make no call that cannot succeed.
 */
final class DeviceTelemetry {
    /** nvml.h NVML_FI_DEV_POWER_INSTANT: instantaneous power in mW (R535+ drivers). */
    static final int FIELD_POWER_INSTANT = 186;
    /** nvmlFieldValue_t is 40 bytes: fieldId @0, scopeId @4, ..., nvmlReturn @28, value @32. */
    private static final int FIELD_VALUE_SIZE = 40;
    private static final int FIELD_RETURN_OFFSET = 28;
    private static final int FIELD_VALUE_OFFSET = 32;
    private static final int TEMPERATURE_GPU = 0;
    private static final int CLOCK_SM = 1;
    private static final int CLOCK_MEMORY = 2;
    private static final int TELEMETRY_KEYS = 8;

    private final NvmlSamplerCalls calls;
    /** For the older reasons function, which is not direct-mapped. */
    private final NvmlLibrary library;
    private final GpuDevice device;
    private final Pointer board;
    private final Memory fieldValue = new Memory(FIELD_VALUE_SIZE);
    private final Memory scratch = new Memory(8);
    private final Memory utilisation = new Memory(8);
    private final Memory memoryInfo = new Memory(24);
    @SuppressWarnings("unchecked")
    private final Map.Entry<String, Double>[] entries = new Map.Entry[TELEMETRY_KEYS];

    private boolean powerFromField = true;
    private boolean powerChosen;
    private String powerField = "";
    private boolean temperature = true;
    private boolean smClock = true;
    private boolean memoryClock = true;
    private boolean utilisationRates = true;
    private boolean memoryUsed = true;
    private boolean pstate = true;
    /** 2: nvmlDeviceGetCurrentClocksEventReasons, 1: ...ThrottleReasons, 0: neither. */
    private int reasonsFunction = 2;

    /** Of the last {@link #read}: the reason bits, or -1 when unknown. */
    private long lastReasons = -1;
    private int failedPowerReads;
    private int powerFallbackReads;

    DeviceTelemetry(Nvml nvml, GpuDevice device) {
        this.calls = nvml.samplerCalls();
        this.library = nvml.library();
        this.device = device;
        this.board = device.boardHandle();
    }

    GpuDevice device() {
        return device;
    }

    /** One sample taken now, or null when no power reading could be had. */
    PowerSample read() {
        long timestampNanos = System.nanoTime();
        double powerWatts = readPowerWatts();
        if (Double.isNaN(powerWatts)) {
            failedPowerReads++;
            return null;
        }
        int n = 0;
        int code;
        if (temperature) {
            code = calls.nvmlDeviceGetTemperature(board, TEMPERATURE_GPU, scratch);
            temperature = keep(code);
            if (code == NvmlReturn.SUCCESS) {
                entries[n++] = Map.entry(PowerSample.TEMPERATURE_CELSIUS, (double) scratch.getInt(0));
            }
        }
        if (smClock) {
            code = calls.nvmlDeviceGetClockInfo(board, CLOCK_SM, scratch);
            smClock = keep(code);
            if (code == NvmlReturn.SUCCESS) {
                entries[n++] = Map.entry(PowerSample.SM_CLOCK_MHZ, (double) Integer.toUnsignedLong(scratch.getInt(0)));
            }
        }
        if (memoryClock) {
            code = calls.nvmlDeviceGetClockInfo(board, CLOCK_MEMORY, scratch);
            memoryClock = keep(code);
            if (code == NvmlReturn.SUCCESS) {
                entries[n++] = Map.entry(PowerSample.MEMORY_CLOCK_MHZ, (double) Integer.toUnsignedLong(scratch.getInt(0)));
            }
        }
        if (utilisationRates) {
            // not available on MIG instances: the board's rates stand for it
            code = calls.nvmlDeviceGetUtilizationRates(board, utilisation);
            utilisationRates = keep(code);
            if (code == NvmlReturn.SUCCESS) {
                entries[n++] = Map.entry(PowerSample.GPU_UTILISATION_PERCENT, (double) utilisation.getInt(0));
                entries[n++] = Map.entry(PowerSample.MEMORY_UTILISATION_PERCENT, (double) utilisation.getInt(4));
            }
        }
        if (memoryUsed) {
            // a MIG instance has its own memory: read it through its own handle
            code = calls.nvmlDeviceGetMemoryInfo(device.handle(), memoryInfo);
            memoryUsed = keep(code);
            if (code == NvmlReturn.SUCCESS) {
                entries[n++] = Map.entry(PowerSample.MEMORY_USED_BYTES, (double) memoryInfo.getLong(16));
            }
        }
        lastReasons = readReasons();
        if (lastReasons >= 0) {
            entries[n++] = Map.entry(PowerSample.CLOCK_EVENT_REASONS, (double) lastReasons);
        }
        if (pstate) {
            code = calls.nvmlDeviceGetPerformanceState(board, scratch);
            pstate = keep(code);
            if (code == NvmlReturn.SUCCESS) {
                entries[n++] = Map.entry(PowerSample.PSTATE, (double) scratch.getInt(0));
            }
        }
        return new PowerSample(device.id(), timestampNanos, powerWatts, Map.ofEntries(Arrays.copyOf(entries, n)));
    }

    /** Watts now; NaN when neither field 186 nor nvmlDeviceGetPowerUsage answered. */
    private double readPowerWatts() {
        if (powerFromField) {
            fieldValue.setInt(0, FIELD_POWER_INSTANT);
            fieldValue.setInt(4, 0); // scope 0: the GPU itself
            int code = calls.nvmlDeviceGetFieldValues(board, 1, fieldValue);
            int fieldCode = code == NvmlReturn.SUCCESS ? fieldValue.getInt(FIELD_RETURN_OFFSET) : code;
            if (fieldCode == NvmlReturn.SUCCESS) {
                choosePower(true, "field 186 POWER_INSTANT (nvmlDeviceGetFieldValues)");
                return Integer.toUnsignedLong(fieldValue.getInt(FIELD_VALUE_OFFSET)) / 1000.0;
            }
            if (!powerChosen) {
                // refused on the first try: this driver or GPU has no instant power field
                powerFromField = false;
                choosePower(false, "nvmlDeviceGetPowerUsage, because field 186 POWER_INSTANT was refused ("
                        + NvmlReturn.name(fieldCode) + "); on Ampere and newer it is a 1 s moving average"
                        + " that lags the load");
            } else {
                powerFallbackReads++;
            }
        }
        int code = calls.nvmlDeviceGetPowerUsage(board, scratch);
        if (code != NvmlReturn.SUCCESS) {
            return Double.NaN;
        }
        return Integer.toUnsignedLong(scratch.getInt(0)) / 1000.0;
    }

    private void choosePower(boolean fromField, String description) {
        if (!powerChosen) {
            powerChosen = true;
            powerFromField = fromField;
            powerField = description;
        }
    }

    private long readReasons() {
        while (reasonsFunction > 0) {
            int code;
            try {
                code = reasonsFunction == 2
                        ? calls.nvmlDeviceGetCurrentClocksEventReasons(board, scratch)
                        : library.nvmlDeviceGetCurrentClocksThrottleReasons(board, scratch);
            } catch (UnsatisfiedLinkError e) {
                code = NvmlReturn.FUNCTION_NOT_FOUND; // older or newer driver without this name
            }
            if (code == NvmlReturn.SUCCESS) {
                return scratch.getLong(0);
            }
            if (keep(code)) {
                return -1;
            }
            reasonsFunction--;
        }
        return -1;
    }

    /** Whether to keep asking for a reading after this return code. */
    private static boolean keep(int code) {
        return code != NvmlReturn.NOT_SUPPORTED && code != NvmlReturn.FUNCTION_NOT_FOUND
                && code != NvmlReturn.NO_PERMISSION && code != NvmlReturn.INVALID_ARGUMENT;
    }

    /** Reason bits of the last sample, or -1 when the device reports none. */
    long lastReasons() {
        return lastReasons;
    }

    /** Which power reading the samples carry, in words; empty before the first sample. */
    String powerField() {
        return powerField;
    }

    int failedPowerReads() {
        return failedPowerReads;
    }

    int powerFallbackReads() {
        return powerFallbackReads;
    }

    /** Which clock-event reasons function answered, or "none". */
    String reasonsSource() {
        return reasonsFunction == 2 ? "nvmlDeviceGetCurrentClocksEventReasons"
                : reasonsFunction == 1 ? "nvmlDeviceGetCurrentClocksThrottleReasons" : "none";
    }
}
