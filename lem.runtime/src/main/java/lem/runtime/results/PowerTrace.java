package lem.runtime.results;

import java.util.Arrays;
import java.util.List;

/**
 * Power of one device over time: linear between samples (trapezoids), held constant before the
 * first and after the last sample.
 */
final class PowerTrace {
    private final long[] timestampsNanos;
    private final double[] powerWatts;

    /** @param points one device's readings, in any order */
    PowerTrace(List<PowerSeriesPoint> points) {
        if (points.isEmpty()) {
            throw new IllegalArgumentException("a power trace needs at least one sample");
        }
        PowerSeriesPoint[] sorted = points.toArray(PowerSeriesPoint[]::new);
        Arrays.sort(sorted, (a, b) -> Long.compare(a.timestampNanos(), b.timestampNanos()));
        timestampsNanos = new long[sorted.length];
        powerWatts = new double[sorted.length];
        for (int i = 0; i < sorted.length; i++) {
            timestampsNanos[i] = sorted[i].timestampNanos();
            powerWatts[i] = sorted[i].powerWatts();
        }
    }

    int samplesWithin(long startNanos, long endNanos) {
        int count = 0;
        for (long t : timestampsNanos) {
            if (t >= startNanos && t <= endNanos) {
                count++;
            }
        }
        return count;
    }

    double wattsAt(long nanos) {
        int index = Arrays.binarySearch(timestampsNanos, nanos);
        if (index >= 0) {
            return powerWatts[index];
        }
        int after = -index - 1;
        if (after == 0) {
            return powerWatts[0];
        }
        if (after == timestampsNanos.length) {
            return powerWatts[timestampsNanos.length - 1];
        }
        int before = after - 1;
        double fraction = (double) (nanos - timestampsNanos[before]) / (timestampsNanos[after] - timestampsNanos[before]);
        return powerWatts[before] + fraction * (powerWatts[after] - powerWatts[before]);
    }

    /** Energy in joules between two instants. */
    double joules(long startNanos, long endNanos) {
        if (endNanos <= startNanos) {
            return 0;
        }
        int index = Arrays.binarySearch(timestampsNanos, startNanos);
        int next = index >= 0 ? index + 1 : -index - 1;
        double joules = 0;
        long previousNanos = startNanos;
        double previousWatts = wattsAt(startNanos);
        while (next < timestampsNanos.length && timestampsNanos[next] < endNanos) {
            joules += (previousWatts + powerWatts[next]) / 2 * (timestampsNanos[next] - previousNanos) / 1e9;
            previousNanos = timestampsNanos[next];
            previousWatts = powerWatts[next];
            next++;
        }
        joules += (previousWatts + wattsAt(endNanos)) / 2 * (endNanos - previousNanos) / 1e9;
        return joules;
    }

    /** Energy from {@code fromNanos} to {@code toNanos}, negative when {@code toNanos} comes first. */
    double signedJoules(long fromNanos, long toNanos) {
        return toNanos >= fromNanos ? joules(fromNanos, toNanos) : -joules(toNanos, fromNanos);
    }

    double joules(TimeIntervals intervals) {
        double joules = 0;
        for (long[] span : intervals.spans()) {
            joules += joules(span[0], span[1]);
        }
        return joules;
    }
}
