package lem.runtime.analysis;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

import lem.runtime.config.SpellingSuggestion;
import lem.runtime.results.TidyTable;

/**
 * One experiment as analysis reads it from disk: its resolved config flattened to dotted keys,
 * and its metrics overall and per cycle, found by the tidy table's column names.
 *
 * @param id     the experiment id
 * @param files  its files as JSON trees
 * @param config {@code config.json}'s config, flattened: {@code batching.batch_size -> 4}
 */
public record StoredExperiment(String id, TidyTable.ExperimentFiles files, Map<String, String> config) {

    public static StoredExperiment read(Path directory) {
        TidyTable.ExperimentFiles files = TidyTable.read(directory);
        Map<String, String> config = new TreeMap<>();
        flatten("", files.config(), config);
        return new StoredExperiment(files.id(), files, config);
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> into) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), into));
        } else if (!prefix.isEmpty() && !node.isMissingNode()) {
            into.put(prefix, node.isNull() ? "" : node.isValueNode() ? node.asText() : node.toString());
        }
    }

    /** {@code result.json}'s overall metrics, or a missing node when it was never aggregated. */
    public JsonNode overall() {
        return files.result().at("/overall");
    }

    /** The metric over all cycles together (what the summary shows), or null. */
    public Double value(TidyTable.Metric metric) {
        return metric.valueIn(overall());
    }

    /** The metric of each included cycle: the statistics' values where it has them, else each cycle's figure. */
    public List<Double> perCycle(TidyTable.Metric metric) {
        List<Double> values = new ArrayList<>();
        if (metric.statisticKey() != null) {
            JsonNode stored = TidyTable.statistic(files.result(), metric.statisticKey()).at("/values");
            if (stored.isArray() && stored.size() > 0) {
                stored.forEach(v -> values.add(v.asDouble()));
                return values;
            }
        }
        for (JsonNode cycle : files.result().at("/cycles")) {
            Double v = metric.valueIn(cycle.at("/metrics"));
            if (v != null) {
                values.add(v);
            }
        }
        return values;
    }

    public boolean aggregated() {
        return !files.result().isMissingNode();
    }

    /**
     * The metric with this column name.
     *
     * @throws IllegalArgumentException naming the allowed names and the nearest one
     */
    public static TidyTable.Metric metric(String column) {
        for (TidyTable.Metric m : TidyTable.METRICS) {
            if (m.column().equals(column)) {
                return m;
            }
        }
        List<String> names = TidyTable.METRICS.stream().map(TidyTable.Metric::column).toList();
        throw new IllegalArgumentException("unknown metric '" + column + "'" + SpellingSuggestion.didYouMean(column, names)
                + "; allowed: " + String.join(", ", names));
    }
}
