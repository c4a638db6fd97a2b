package lem.energy.nvml;

/**
 * Trapezoid integral of one device's sampled power over time. The samples start after the
 * window opens and end before it closes; {@link #energyJoules(long, long)} covers those edges by
 * holding the first and last readings, so the figure is the window's energy, not the samples'.
 */
final class PowerIntegral {
    private long firstNanos;
    private double firstWatts;
    private long previousNanos;
    private double previousWatts;
    private int samples;
    private double energyJoules;

    void add(long timestampNanos, double powerWatts) {
        if (samples > 0) {
            energyJoules += (previousWatts + powerWatts) / 2 * ((timestampNanos - previousNanos) / 1e9);
        } else {
            firstNanos = timestampNanos;
            firstWatts = powerWatts;
        }
        previousNanos = timestampNanos;
        previousWatts = powerWatts;
        samples++;
    }

    /** Between the first and the last sample. */
    double energyJoules() {
        return energyJoules;
    }

    /** Over the window [startNanos, endNanos]: the first reading held back to the start, the last to the end. */
    double energyJoules(long startNanos, long endNanos) {
        if (samples == 0) {
            return 0;
        }
        double head = firstWatts * Math.max(0, firstNanos - startNanos) / 1e9;
        double tail = previousWatts * Math.max(0, endNanos - previousNanos) / 1e9;
        return head + energyJoules + tail;
    }

    int samples() {
        return samples;
    }
}
