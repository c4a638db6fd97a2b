package lem.api.energy;

import java.util.Objects;

/**
 * A stretch of time in which a device was slowed down.
 *
 * @param deviceId        the device
 * @param cause           {@code thermal}, {@code power}, {@code hw_slowdown} or a source's own word
 * @param startNanos      first sample that showed it
 * @param endNanos        first sample that no longer showed it, or the end of the window
 */
public record ThrottlePeriod(String deviceId, String cause, long startNanos, long endNanos) {
    public ThrottlePeriod {
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(cause, "cause");
    }

    public long durationNanos() {
        return endNanos - startNanos;
    }
}
