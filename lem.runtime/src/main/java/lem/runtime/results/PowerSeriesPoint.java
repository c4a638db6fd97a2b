package lem.runtime.results;

import java.util.List;

/**
 * One power reading read back from a power series file.
 *
 * @param timestampNanos {@link System#nanoTime()} of the reading
 * @param source         energy source that took it
 * @param deviceId       the device
 * @param powerWatts     power at that time
 */
public record PowerSeriesPoint(long timestampNanos, String source, String deviceId, double powerWatts) {

    /** One device's readings from the given source, else from any source that sampled it; empty when none did. */
    static List<PowerSeriesPoint> of(List<PowerSeriesPoint> points, String source, String deviceId) {
        if (points == null) {
            return List.of();
        }
        java.util.Map<String, List<PowerSeriesPoint>> bySource = new java.util.LinkedHashMap<>();
        for (PowerSeriesPoint point : points) {
            if (point.deviceId().equals(deviceId)) {
                bySource.computeIfAbsent(point.source(), s -> new java.util.ArrayList<>()).add(point);
            }
        }
        if (bySource.containsKey(source)) {
            return bySource.get(source);
        }
        return bySource.isEmpty() ? List.of() : bySource.values().iterator().next();
    }
}
