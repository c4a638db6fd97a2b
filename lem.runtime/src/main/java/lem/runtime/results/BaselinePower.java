package lem.runtime.results;

import java.util.Map;
import java.util.Objects;

/**
 * Idle power of one device, measured before the run.
 *
 * @param source              energy source that sampled it
 * @param deviceId            the device
 * @param meanWatts           mean idle power
 * @param stdWatts            standard deviation of the samples (n-1)
 * @param sampleCount         samples taken
 * @param durationNanos       how long it sampled
 * @param takenAtEpochMillis  when, in wall-clock time
 * @param facts               the device's state while sampling ({@code pstate}, {@code sm_clock_mhz}),
 *                            since a baseline at idle clocks understates static power under load
 */
public record BaselinePower(String source, String deviceId, double meanWatts, double stdWatts, int sampleCount,
        long durationNanos, long takenAtEpochMillis, Map<String, String> facts) {
    public BaselinePower {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(deviceId, "deviceId");
        facts = facts == null ? Map.of() : Map.copyOf(facts);
    }
}
