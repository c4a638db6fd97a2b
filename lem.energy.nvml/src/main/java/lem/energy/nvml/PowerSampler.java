package lem.energy.nvml;

import java.util.List;
import java.util.Queue;

import lem.api.energy.PowerSample;

/**
 * The background thread that samples every device at a fixed interval (see {@link DeadlineLoop}
 * for how it keeps to the interval), and keeps the actual intervals for jitter figures.
 */
final class PowerSampler extends DeadlineLoop {
    /** Recent loop intervals kept for jitter figures: 16384 covers 160 s at 10 ms. */
    private static final int INTERVAL_HISTORY = 16384;

    private final List<SampledDevice> devices;
    private final Queue<PowerSample> samples;
    private final long[] intervalsNanos = new long[INTERVAL_HISTORY];

    private long previousNanos = Long.MIN_VALUE;
    private long loops;

    PowerSampler(List<SampledDevice> devices, Queue<PowerSample> samples, long intervalNanos) {
        super("lem-nvml-sampler", intervalNanos);
        this.devices = devices;
        this.samples = samples;
    }

    /**
     * Samples after this instant are integrated but not handed out: the window has closed, and the
     * sampler runs on only until the energy counter's next step.
     */
    private volatile long deliverUntilNanos = Long.MAX_VALUE;

    /** Samples every device once on the calling thread (the window's edges). */
    void sampleNow() {
        for (SampledDevice device : devices) {
            device.sample(samples, deliverUntilNanos);
        }
    }

    /** From now on samples go to the devices' integrals only. */
    void deliverUntil(long nanos) {
        deliverUntilNanos = nanos;
    }

    @Override
    void tick(long nowNanos) {
        if (previousNanos != Long.MIN_VALUE) {
            intervalsNanos[(int) (loops % INTERVAL_HISTORY)] = nowNanos - previousNanos;
            loops++;
        }
        previousNanos = nowNanos;
        sampleNow();
    }

    long intervalNanos() {
        return periodNanos();
    }

    /** Actual times between consecutive loop starts (the last 16384), oldest first; after {@link #halt()}. */
    long[] intervalsNanos() {
        int n = (int) Math.min(loops, INTERVAL_HISTORY);
        long[] result = new long[n];
        long first = loops - n;
        for (int i = 0; i < n; i++) {
            result[i] = intervalsNanos[(int) ((first + i) % INTERVAL_HISTORY)];
        }
        return result;
    }
}
