package lem.energy.nvml;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * One board's energy counter ({@code nvmlDeviceGetTotalEnergyConsumption}, mJ since the driver
 * loaded) over a session: read at the start, about once a second, and at the stop. A read costs
 * about 4 ms on an H100, so it is never read at the sampling rate.
 */
final class EnergyCounter {
    private final NvmlSamplerCalls calls;
    private final Pointer board;
    private final Memory buffer = new Memory(8);

    private boolean supported = true;
    private String unsupportedReason = "";
    private long startMillijoules = -1;
    private long lastMillijoules = -1;
    private int reads;
    /** The first step backwards seen (driver reload), as "from -> to" in mJ; empty when none. */
    private String wentBackwards = "";
    private String lastError = "";
    /** Whether the latest read failed: the delta would then end before the window does. */
    private boolean lastReadFailed;

    EnergyCounter(NvmlSamplerCalls calls, Pointer board) {
        this.calls = calls;
        this.board = board;
    }

    /** Reads the counter; the first read of a session is its start. True when it answered. */
    synchronized boolean read(Nvml nvml) {
        if (!supported) {
            return false;
        }
        int code = calls.nvmlDeviceGetTotalEnergyConsumption(board, buffer);
        if (code != NvmlReturn.SUCCESS) {
            if (code == NvmlReturn.NOT_SUPPORTED || code == NvmlReturn.FUNCTION_NOT_FOUND || startMillijoules < 0) {
                supported = false;
                unsupportedReason = nvml.describe(code);
            } else {
                lastError = nvml.describe(code);
            }
            lastReadFailed = true;
            return false;
        }
        long millijoules = buffer.getLong(0);
        lastReadFailed = false;
        reads++;
        if (startMillijoules < 0) {
            startMillijoules = millijoules;
        } else if (millijoules < lastMillijoules && wentBackwards.isEmpty()) {
            wentBackwards = lastMillijoules + " mJ -> " + millijoules + " mJ";
        }
        lastMillijoules = millijoules;
        return true;
    }

    synchronized boolean supported() {
        return supported;
    }

    synchronized String unsupportedReason() {
        return unsupportedReason;
    }

    synchronized String wentBackwards() {
        return wentBackwards;
    }

    synchronized String lastError() {
        return lastError;
    }

    synchronized int reads() {
        return reads;
    }

    /**
     * Energy from the first to the last read, J; NaN when it cannot be trusted, was not read twice,
     * or its latest read (the window's end, once the session stops) failed.
     */
    synchronized double deltaJoules() {
        if (!supported || lastReadFailed || !wentBackwards.isEmpty() || reads < 2) {
            return Double.NaN;
        }
        return (lastMillijoules - startMillijoules) / 1000.0;
    }
}
