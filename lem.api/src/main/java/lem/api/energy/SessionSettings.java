package lem.api.energy;

import java.util.Set;

/**
 * How a measurement session should run.
 *
 * @param sampleIntervalNanos power sampling interval (sources may clamp it to what they support)
 * @param deviceIds           devices to measure; empty means every device the source sees
 * @param options             source-specific settings from the experiment config
 */
public record SessionSettings(long sampleIntervalNanos, Set<String> deviceIds, java.util.Map<String, Object> options) {
    public SessionSettings {
        if (sampleIntervalNanos <= 0) {
            throw new IllegalArgumentException("sampleIntervalNanos must be positive: " + sampleIntervalNanos);
        }
        deviceIds = deviceIds == null ? Set.of() : Set.copyOf(deviceIds);
        options = options == null ? java.util.Map.of() : java.util.Map.copyOf(options);
    }
}
