package lem.runtime.results;

/**
 * The measurement window of one process in one cycle.
 *
 * @param startNanos {@link System#nanoTime()} when measurement began
 * @param endNanos   {@link System#nanoTime()} when it ended
 */
public record MeasurementWindow(long startNanos, long endNanos) {
    public MeasurementWindow {
        if (endNanos < startNanos) {
            throw new IllegalArgumentException("window ends before it starts: " + startNanos + " > " + endNanos);
        }
    }

    public long durationNanos() {
        return endNanos - startNanos;
    }
}
