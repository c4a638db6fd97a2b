package lem.energy.nvml;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * One board's energy counter ({@code nvmlDeviceGetTotalEnergyConsumption}, mJ since the driver
 * loaded) over a session: read at the start, about once a second, and at the stop. A read costs
 * about 4 ms on an H100, so it is never read at the sampling rate, except right after each edge
 * of the window, where {@link #awaitStep} polls it until it steps (about every 100 ms).
 */
final class EnergyCounter {
    /** Pause between polls while waiting for a step: a read itself takes about 4 ms on an H100. */
    static final long STEP_POLL_PAUSE_NANOS = 1_000_000L;

    /**
     * One successful read: the value, the middle of the call, and half the call's duration: NVML took
     * the value at some instant within {@code atNanos +- halfSpanNanos}.
     */
    record Read(long millijoules, long atNanos, long halfSpanNanos) {
    }

    /**
     * The counter's first change after an edge: it took {@code millijoules} between two reads, at
     * {@code atNanos} (the middle of the calls' middles) give or take {@code halfWidthNanos}, which
     * reaches from the start of the call that still read the old value to the end of the call that
     * read the new one.
     */
    record Step(long millijoules, long atNanos, long halfWidthNanos) {
    }

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
    boolean read(Nvml nvml) {
        return readValue(nvml) != null;
    }

    /** Reads the counter as {@link #read} does and returns what it read, or null when it did not answer. */
    synchronized Read readValue(Nvml nvml) {
        if (!supported) {
            return null;
        }
        long beforeNanos = System.nanoTime();
        int code = calls.nvmlDeviceGetTotalEnergyConsumption(board, buffer);
        long halfSpanNanos = (System.nanoTime() - beforeNanos) / 2;
        long atNanos = beforeNanos + halfSpanNanos;
        if (code != NvmlReturn.SUCCESS) {
            if (code == NvmlReturn.NOT_SUPPORTED || code == NvmlReturn.FUNCTION_NOT_FOUND || startMillijoules < 0) {
                supported = false;
                unsupportedReason = nvml.describe(code);
            } else {
                lastError = nvml.describe(code);
            }
            lastReadFailed = true;
            return null;
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
        return new Read(millijoules, atNanos, halfSpanNanos);
    }

    /**
     * Reads the counter until it differs from {@code edge} (a read taken at an edge of the window),
     * for at most {@code limitNanos} after the edge read. The counter holds the energy up to its
     * latest internal update, so the first change after the edge marks an instant at which its
     * value is the energy up to then. Null when it did not change in time or a read failed.
     */
    Step awaitStep(Nvml nvml, Read edge, long limitNanos) {
        Read previous = edge;
        long deadline = edge.atNanos() + limitNanos;
        while (System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(STEP_POLL_PAUSE_NANOS);
            Read next = readValue(nvml);
            if (next == null) {
                return null;
            }
            if (next.millijoules() != edge.millijoules()) {
                // the step lies between the calls' middles at best guess (where in its call NVML takes the
                // value is not known), but a call can be slow (about 4 ms on an H100, longer on a busy
                // host): the old value may have been taken at the start of its call, the new one at the
                // end of its call, so the width reaches both
                long atNanos = previous.atNanos() + (next.atNanos() - previous.atNanos()) / 2;
                long halfWidth = Math.max(atNanos - (previous.atNanos() - previous.halfSpanNanos()),
                        next.atNanos() + next.halfSpanNanos() - atNanos);
                return new Step(next.millijoules(), atNanos, halfWidth);
            }
            previous = next;
        }
        return null;
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
