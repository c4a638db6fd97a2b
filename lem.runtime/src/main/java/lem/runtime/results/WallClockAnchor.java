package lem.runtime.results;

/**
 * The one wall-clock reading of a run, taken together with a {@link System#nanoTime()} reading, so
 * that monotonic timestamps can be placed in calendar time without mixing the two clocks in an
 * interval.
 *
 * @param epochMillis {@link System#currentTimeMillis()} at the anchor
 * @param nanoTime    {@link System#nanoTime()} read right after it
 */
public record WallClockAnchor(long epochMillis, long nanoTime) {
    /** Reads both clocks now. */
    public static WallClockAnchor now() {
        long epochMillis = System.currentTimeMillis();
        return new WallClockAnchor(epochMillis, System.nanoTime());
    }

    /** Nanoseconds since the Unix epoch of a {@link System#nanoTime()} reading of the same run. */
    public long toEpochNanos(long nanos) {
        return epochMillis * 1_000_000L + (nanos - nanoTime);
    }
}
