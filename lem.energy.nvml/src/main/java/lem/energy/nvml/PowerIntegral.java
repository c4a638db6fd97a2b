package lem.energy.nvml;

/** Trapezoid integral of one device's sampled power over time. */
final class PowerIntegral {
    private long previousNanos;
    private double previousWatts;
    private int samples;
    private double energyJoules;

    void add(long timestampNanos, double powerWatts) {
        if (samples > 0) {
            energyJoules += (previousWatts + powerWatts) / 2 * ((timestampNanos - previousNanos) / 1e9);
        }
        previousNanos = timestampNanos;
        previousWatts = powerWatts;
        samples++;
    }

    double energyJoules() {
        return energyJoules;
    }

    int samples() {
        return samples;
    }
}
