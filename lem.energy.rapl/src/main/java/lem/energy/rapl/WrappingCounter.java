package lem.energy.rapl;

/**
 * Turns successive readings of a RAPL counter, which wraps to 0 after {@code max_energy_range_uj},
 * into a monotonic total. Correct as long as the counter wraps at most once between two readings,
 * which {@link PollSchedule} makes sure of.
 */
final class WrappingCounter {
    private final long rangeMicrojoules;
    private long previousRawMicrojoules;
    private long totalMicrojoules;
    private int wraps;

    WrappingCounter(long firstRawMicrojoules, long maxEnergyRangeMicrojoules) {
        this.rangeMicrojoules = maxEnergyRangeMicrojoules;
        this.previousRawMicrojoules = firstRawMicrojoules;
    }

    /**
     * Takes a new reading and returns the energy since the previous one, microjoules.
     * A reading below the previous one means the counter passed its maximum: the kernel's counter
     * runs from 0 to max_energy_range_uj inclusive, so one wrap adds max_energy_range_uj + 1.
     */
    long advance(long rawMicrojoules) {
        long delta = rawMicrojoules - previousRawMicrojoules;
        if (delta < 0) {
            delta += rangeMicrojoules + 1;
            wraps++;
        }
        previousRawMicrojoules = rawMicrojoules;
        totalMicrojoules += delta;
        return delta;
    }

    long totalMicrojoules() {
        return totalMicrojoules;
    }

    long previousRawMicrojoules() {
        return previousRawMicrojoules;
    }

    int wraps() {
        return wraps;
    }
}
