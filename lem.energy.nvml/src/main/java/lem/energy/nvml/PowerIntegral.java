package lem.energy.nvml;

import java.util.Arrays;

/**
 * Trapezoid integral of one device's sampled power over time. The samples are kept, so that
 * energy between any two instants can be asked for ({@link #joulesBetween}): a whole window,
 * whose edges fall before the first and after the last sample (the readings are held there), or
 * the few milliseconds between a window's edge and the energy counter's next step.
 */
final class PowerIntegral {
    private long[] timestampsNanos = new long[64];
    private double[] powerWatts = new double[64];
    private int samples;
    private double energyJoules;

    void add(long timestampNanos, double powerWatts) {
        if (samples > 0) {
            energyJoules += (this.powerWatts[samples - 1] + powerWatts) / 2
                    * ((timestampNanos - timestampsNanos[samples - 1]) / 1e9);
        }
        if (samples == timestampsNanos.length) {
            timestampsNanos = Arrays.copyOf(timestampsNanos, samples * 2);
            this.powerWatts = Arrays.copyOf(this.powerWatts, samples * 2);
        }
        timestampsNanos[samples] = timestampNanos;
        this.powerWatts[samples] = powerWatts;
        samples++;
    }

    /** Between the first and the last sample. */
    double energyJoules() {
        return energyJoules;
    }

    /**
     * Energy between two instants, J: linear between samples, the first and last reading held
     * beyond the samples; negative when {@code toNanos} is before {@code fromNanos}.
     */
    double joulesBetween(long fromNanos, long toNanos) {
        if (toNanos < fromNanos) {
            return -joulesBetween(toNanos, fromNanos);
        }
        if (samples == 0 || toNanos == fromNanos) {
            return 0;
        }
        double joules = 0;
        long previousNanos = fromNanos;
        double previousWatts = wattsAt(fromNanos);
        int next = firstAfter(fromNanos);
        while (next < samples && timestampsNanos[next] < toNanos) {
            joules += (previousWatts + powerWatts[next]) / 2 * (timestampsNanos[next] - previousNanos) / 1e9;
            previousNanos = timestampsNanos[next];
            previousWatts = powerWatts[next];
            next++;
        }
        return joules + (previousWatts + wattsAt(toNanos)) / 2 * (toNanos - previousNanos) / 1e9;
    }

    /** Power at an instant, W: linear between samples, held before the first and after the last. */
    double wattsAt(long nanos) {
        if (samples == 0) {
            return 0;
        }
        int after = firstAfter(nanos);
        if (after == 0) {
            return powerWatts[0];
        }
        if (after == samples) {
            return powerWatts[samples - 1];
        }
        int before = after - 1;
        double fraction = (double) (nanos - timestampsNanos[before]) / (timestampsNanos[after] - timestampsNanos[before]);
        return powerWatts[before] + fraction * (powerWatts[after] - powerWatts[before]);
    }

    /** Index of the first sample strictly after {@code nanos} (samples arrive in time order). */
    private int firstAfter(long nanos) {
        int index = Arrays.binarySearch(timestampsNanos, 0, samples, nanos);
        if (index < 0) {
            return -index - 1;
        }
        while (index < samples && timestampsNanos[index] <= nanos) {
            index++;
        }
        return index;
    }

    /**
     * How far the trapezoids could be off, J: half the sum of |power change| x interval, the
     * difference between trapezoids and rectangles, a bound for power that moves monotonically
     * between samples.
     */
    double roughnessJoules() {
        double joules = 0;
        for (int i = 1; i < samples; i++) {
            joules += Math.abs(powerWatts[i] - powerWatts[i - 1]) / 2 * (timestampsNanos[i] - timestampsNanos[i - 1]) / 1e9;
        }
        return joules;
    }

    int samples() {
        return samples;
    }
}
