package lem.runtime.results;

/**
 * One power reading read back from a power series file.
 *
 * @param timestampNanos {@link System#nanoTime()} of the reading
 * @param source         energy source that took it
 * @param deviceId       the device
 * @param powerWatts     power at that time
 */
public record PowerSeriesPoint(long timestampNanos, String source, String deviceId, double powerWatts) {
}
