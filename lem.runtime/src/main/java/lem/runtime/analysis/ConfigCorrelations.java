package lem.runtime.analysis;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import lem.runtime.results.TidyTable;

/**
 * Correlations across experiments between the config keys that vary and hold numbers (batch
 * size, rate, lengths) and the metrics: Pearson and Spearman with p-values and n, one row per key
 * and metric that both have at least 3 experiments with values.
 *
 * @param rows    one per key and metric
 * @param skipped varied keys left out, and why
 */
public record ConfigCorrelations(List<Row> rows, List<String> skipped) {

    /** A key, a metric, and how they go together. */
    public record Row(String configKey, String metric, Correlation correlation) {
    }

    public static final int MIN_EXPERIMENTS = 3;

    public static ConfigCorrelations of(List<StoredExperiment> experiments, List<TidyTable.Metric> metrics) {
        Set<String> keys = new TreeSet<>();
        experiments.forEach(e -> keys.addAll(e.config().keySet()));
        List<Row> rows = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (String key : keys) {
            Set<String> distinct = new LinkedHashSet<>();
            experiments.forEach(e -> distinct.add(e.config().getOrDefault(key, "")));
            if (distinct.size() < 2) {
                continue;
            }
            if (!distinct.stream().filter(v -> !v.isEmpty()).allMatch(ConfigCorrelations::isNumber)) {
                skipped.add(key + ": not numeric (" + String.join(", ", distinct) + ")");
                continue;
            }
            for (TidyTable.Metric metric : metrics) {
                List<double[]> pairs = new ArrayList<>();
                for (StoredExperiment e : experiments) {
                    String x = e.config().getOrDefault(key, "");
                    Double y = e.value(metric);
                    if (!x.isEmpty() && y != null) {
                        pairs.add(new double[] {Double.parseDouble(x), y});
                    }
                }
                if (pairs.size() < MIN_EXPERIMENTS) {
                    continue;
                }
                double[] xs = pairs.stream().mapToDouble(p -> p[0]).toArray();
                double[] ys = pairs.stream().mapToDouble(p -> p[1]).toArray();
                rows.add(new Row(key, metric.column(), Correlation.of(xs, ys)));
            }
        }
        return new ConfigCorrelations(rows, skipped);
    }

    static boolean isNumber(String text) {
        try {
            double d = Double.parseDouble(text.trim());
            return !Double.isNaN(d) && !Double.isInfinite(d);
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
