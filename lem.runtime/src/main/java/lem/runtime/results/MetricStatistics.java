package lem.runtime.results;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.commons.math3.distribution.TDistribution;

/**
 * One headline metric across cycles: the <b>mean of the per-cycle values</b> (not the pooled
 * figure of {@link AggregatedResult#overall()}, which divides totals over all cycles), sample
 * standard deviation (n - 1), coefficient of variation and the 95% t-interval of that mean,
 * {@code mean +- t(0.975, n-1) s / sqrt(n)}, with t from the t distribution for every n (never the
 * normal 1.96). Beside it, for a metric whose cycle values are all above 0, the geometric mean and
 * its 95% log-scale t-interval, {@code exp(mean(ln x) +- t(0.975, n-1) s_ln / sqrt(n))}, which
 * stays above 0. With one cycle there is no spread and no interval; the fields are null and
 * {@code note} says so. {@code warnings} says when the t-interval means little.
 *
 * @param metric         the metric's name
 * @param unit           its unit
 * @param n              cycles that have the metric
 * @param values         the per-cycle values, in cycle order
 * @param mean           mean of the per-cycle values
 * @param stdDev         sample standard deviation, or null when n < 2
 * @param coefficientOfVariation stdDev / mean, or null when n < 2 or the mean is 0
 * @param tValue         t(0.975, n-1), or null when n < 2
 * @param ciLow          lower end of the 95% t-interval of the mean, or null
 * @param ciHigh         upper end, or null
 * @param note           why a figure is missing, or empty
 * @param geometricMean  exp(mean(ln x)), or null when n < 2 or a value is not above 0
 * @param logCiLow       lower end of the 95% log-scale interval of the geometric mean, or null
 * @param logCiHigh      upper end, or null
 * @param warnings       why the t-interval may mean little (few cycles, a large CV, below 0 for a
 *                       quantity that cannot be), empty when none
 */
public record MetricStatistics(String metric, String unit, int n, List<Double> values, Double mean, Double stdDev,
        Double coefficientOfVariation, Double tValue, Double ciLow, Double ciHigh, String note, Double geometricMean,
        Double logCiLow, Double logCiHigh, List<String> warnings) {

    public static final double CONFIDENCE = 0.95;
    /** Fewer cycles than this: the t-interval is warned about (t(0.975, 1) = 12.7). */
    public static final int MIN_CYCLES_FOR_INTERVAL = 3;
    /** A coefficient of variation from this up: the t-interval is warned about. */
    public static final double MAX_CV_FOR_INTERVAL = 0.5;

    public MetricStatistics {
        values = List.copyOf(values);
        warnings = warnings == null ? List.of() : List.copyOf(warnings); // absent in result.json of older runs
    }

    public static MetricStatistics of(String metric, String unit, List<Double> values) {
        int n = values.size();
        if (n == 0) {
            return new MetricStatistics(metric, unit, 0, values, null, null, null, null, null, null,
                    "no cycle has this metric", null, null, null, List.of());
        }
        double mean = mean(values);
        if (n == 1) {
            return new MetricStatistics(metric, unit, 1, values, mean, null, null, null, null, null,
                    "one cycle: no standard deviation or confidence interval (run 2 or more cycles)", null, null, null,
                    List.of());
        }
        double stdDev = sampleStdDev(values, mean);
        double t = tQuantile(n - 1);
        double halfWidth = t * stdDev / Math.sqrt(n);
        Double cv = mean == 0 ? null : stdDev / Math.abs(mean);
        double ciLow = mean - halfWidth;
        boolean allPositive = values.stream().allMatch(v -> v > 0);

        Double geometricMean = null;
        Double logCiLow = null;
        Double logCiHigh = null;
        if (allPositive) {
            List<Double> logs = values.stream().map(Math::log).toList();
            double logMean = mean(logs);
            double logHalfWidth = t * sampleStdDev(logs, logMean) / Math.sqrt(n);
            geometricMean = Math.exp(logMean);
            logCiLow = Math.exp(logMean - logHalfWidth);
            logCiHigh = Math.exp(logMean + logHalfWidth);
        }

        List<String> warnings = new ArrayList<>();
        if (n < MIN_CYCLES_FOR_INTERVAL) {
            warnings.add(String.format(Locale.ROOT, "only %d cycles: t(0.975, %d) = %.1f makes the interval very wide; "
                    + "run %d or more cycles", n, n - 1, t, MIN_CYCLES_FOR_INTERVAL));
        }
        if (cv != null && cv >= MAX_CV_FOR_INTERVAL) {
            warnings.add(String.format(Locale.ROOT, "CV %.2f >= %.2f: the cycles differ too much for a t-interval, "
                    + "which assumes roughly normal cycle values; look at the cycles", cv, MAX_CV_FOR_INTERVAL));
        }
        if (allPositive && ciLow <= 0) {
            warnings.add("the t-interval reaches 0 or below for a quantity that is above 0: "
                    + "use the log-scale interval of the geometric mean");
        }
        String note = cv == null ? "mean is 0: no coefficient of variation" : "";
        if (!allPositive) {
            note = (note.isEmpty() ? "" : note + "; ") + "a cycle value is 0 or below: no geometric mean or log-scale interval";
        }
        return new MetricStatistics(metric, unit, n, values, mean, stdDev, cv, t, ciLow, mean + halfWidth, note,
                geometricMean, logCiLow, logCiHigh, warnings);
    }

    private static double mean(List<Double> values) {
        double sum = 0;
        for (double value : values) {
            sum += value;
        }
        return sum / values.size();
    }

    private static double sampleStdDev(List<Double> values, double mean) {
        double squares = 0;
        for (double value : values) {
            squares += (value - mean) * (value - mean);
        }
        return Math.sqrt(squares / (values.size() - 1));
    }

    /**
     * Half the width of the 95% t-interval of the mean of cycles, {@code t s / sqrt(n)}, or null when
     * there is none; derived, so not stored in result.json (Jackson writes only the record's components).
     * It belongs with {@link #mean()}, never with the pooled figure.
     */
    public Double ciHalfWidth() {
        return ciHigh == null || ciLow == null ? null : (ciHigh - ciLow) / 2;
    }

    /** Two-sided 95% quantile t(0.975, degreesOfFreedom). */
    public static double tQuantile(int degreesOfFreedom) {
        return new TDistribution(null, degreesOfFreedom).inverseCumulativeProbability(1 - (1 - CONFIDENCE) / 2);
    }
}
