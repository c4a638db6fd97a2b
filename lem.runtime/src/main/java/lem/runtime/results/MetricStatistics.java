package lem.runtime.results;

import java.util.List;

import org.apache.commons.math3.distribution.TDistribution;

/**
 * One headline metric across cycles: mean, sample standard deviation (n - 1), coefficient of
 * variation and the 95% confidence interval of the mean, {@code mean +- t(0.975, n-1) s / sqrt(n)},
 * with t from the t distribution for every n (never the normal 1.96). With one cycle there is no
 * spread and no interval; the fields are null and {@code note} says so.
 *
 * @param metric         the metric's name
 * @param unit           its unit
 * @param n              cycles that have the metric
 * @param values         the per-cycle values, in cycle order
 * @param mean           mean over cycles
 * @param stdDev         sample standard deviation, or null when n < 2
 * @param coefficientOfVariation stdDev / mean, or null when n < 2 or the mean is 0
 * @param tValue         t(0.975, n-1), or null when n < 2
 * @param ciLow          lower end of the 95% interval, or null
 * @param ciHigh         upper end, or null
 * @param note           why a figure is missing, or empty
 */
public record MetricStatistics(String metric, String unit, int n, List<Double> values, Double mean, Double stdDev,
        Double coefficientOfVariation, Double tValue, Double ciLow, Double ciHigh, String note) {

    public static final double CONFIDENCE = 0.95;

    public MetricStatistics {
        values = List.copyOf(values);
    }

    public static MetricStatistics of(String metric, String unit, List<Double> values) {
        int n = values.size();
        if (n == 0) {
            return new MetricStatistics(metric, unit, 0, values, null, null, null, null, null, null,
                    "no cycle has this metric");
        }
        double sum = 0;
        for (double value : values) {
            sum += value;
        }
        double mean = sum / n;
        if (n == 1) {
            return new MetricStatistics(metric, unit, 1, values, mean, null, null, null, null, null,
                    "one cycle: no standard deviation or confidence interval (run 2 or more cycles)");
        }
        double squares = 0;
        for (double value : values) {
            squares += (value - mean) * (value - mean);
        }
        double stdDev = Math.sqrt(squares / (n - 1));
        double t = tQuantile(n - 1);
        double halfWidth = t * stdDev / Math.sqrt(n);
        Double cv = mean == 0 ? null : stdDev / Math.abs(mean);
        return new MetricStatistics(metric, unit, n, values, mean, stdDev, cv, t, mean - halfWidth, mean + halfWidth,
                cv == null ? "mean is 0: no coefficient of variation" : "");
    }

    /**
     * Half the width of the 95% interval, {@code t s / sqrt(n)}, or null when there is none; derived, so not
     * stored in result.json (Jackson writes only the record's components).
     */
    public Double ciHalfWidth() {
        return ciHigh == null || ciLow == null ? null : (ciHigh - ciLow) / 2;
    }

    /** Two-sided 95% quantile t(0.975, degreesOfFreedom). */
    public static double tQuantile(int degreesOfFreedom) {
        return new TDistribution(null, degreesOfFreedom).inverseCumulativeProbability(1 - (1 - CONFIDENCE) / 2);
    }
}
