package lem.runtime.results;

import java.util.Arrays;

/**
 * Summary of raw samples (latencies in milliseconds). Percentiles interpolate linearly between
 * the two nearest ranks of the sorted samples, position {@code (n - 1) p} counted from 0
 * ({@link #PERCENTILE_METHOD}); every figure comes from all samples, never from per-request summaries.
 * Every figure is null when there are no samples.
 */
public record SampleSummary(int count, Double mean, Double median, Double p90, Double p95, Double p99, Double min,
        Double max) {

    public static final String PERCENTILE_METHOD =
            "linear interpolation between closest ranks, position (n-1)p of the sorted samples (numpy default, Hyndman-Fan 7)";

    public static final SampleSummary EMPTY = new SampleSummary(0, null, null, null, null, null, null, null);

    public static SampleSummary of(double[] samples) {
        if (samples.length == 0) {
            return EMPTY;
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        double sum = 0;
        for (double sample : sorted) {
            sum += sample;
        }
        return new SampleSummary(sorted.length, sum / sorted.length, percentile(sorted, 0.5), percentile(sorted, 0.9),
                percentile(sorted, 0.95), percentile(sorted, 0.99), sorted[0], sorted[sorted.length - 1]);
    }

    /**
     * Percentile of sorted samples.
     *
     * @param sorted   ascending, not empty
     * @param fraction 0 to 1
     */
    static double percentile(double[] sorted, double fraction) {
        double position = (sorted.length - 1) * fraction;
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        double weight = position - below;
        return sorted[below] + weight * (sorted[above] - sorted[below]);
    }
}
