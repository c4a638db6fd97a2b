package lem.energy.rapl;

/**
 * When to read a RAPL counter next so that it cannot wrap twice between two readings (a second
 * wrap would be lost without trace). The configured interval is the upper bound; at high power
 * or close to the top of the range the next read comes sooner.
 */
final class PollSchedule {
    /** Reading sysfs more often than this costs CPU and adds nothing: RAPL updates about every 1 ms. */
    static final long MIN_DELAY_NANOS = 10_000_000L;

    private PollSchedule() {
    }

    /**
     * @param intervalNanos             the configured interval
     * @param rawMicrojoules            the counter's last reading
     * @param maxEnergyRangeMicrojoules the counter's range
     * @param powerWatts                the power seen over the last interval (0 when unknown)
     * @return the delay before the next read, nanoseconds
     */
    static long nextDelayNanos(long intervalNanos, long rawMicrojoules, long maxEnergyRangeMicrojoules,
            double powerWatts) {
        if (powerWatts <= 0 || maxEnergyRangeMicrojoules <= 0) {
            return intervalNanos;
        }
        double microjoulesPerNano = powerWatts * 1e-3; // 1 W = 1e6 uJ per 1e9 ns
        // A full range takes this long at the current power: read at least four times per range.
        long quarterRangeNanos = (long) (maxEnergyRangeMicrojoules / microjoulesPerNano / 4);
        long delay = Math.min(intervalNanos, quarterRangeNanos);
        // Near the top of the range: read again just after the wrap is due, so that the wrap is seen
        // in the reading right after it and the time left afterwards is a full range.
        long headroomMicrojoules = Math.max(0, maxEnergyRangeMicrojoules - rawMicrojoules);
        long untilWrapNanos = (long) (headroomMicrojoules / microjoulesPerNano);
        if (untilWrapNanos < delay) {
            delay = untilWrapNanos + MIN_DELAY_NANOS;
        }
        return Math.max(MIN_DELAY_NANOS, Math.min(delay, intervalNanos));
    }
}
