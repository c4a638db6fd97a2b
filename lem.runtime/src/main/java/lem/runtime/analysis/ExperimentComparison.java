package lem.runtime.analysis;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;

import lem.runtime.results.TidyTable;

/**
 * Experiments compared with the first (A): the config keys whose values differ, then each metric
 * with B's difference from A (overall, in percent) and Welch's t-test of the cycle values, and the
 * reasons a comparison is unfair (different work, prompt or output lengths, estimates against
 * measurements, too few cycles, incomplete runs).
 *
 * @param ids         experiment ids, A first
 * @param differences config keys whose values are not all equal, with each experiment's value
 * @param rows        one per metric and experiment after A
 * @param unfair      what makes a difference misleading, in words
 */
public record ExperimentComparison(List<String> ids, List<ConfigDifference> differences, List<MetricRow> rows,
        List<String> unfair) {

    /** A config key and its value in each experiment (empty where it has none). */
    public record ConfigDifference(String key, List<String> values) {
    }

    /**
     * One metric of one experiment against A.
     *
     * @param metric            the tidy column name (unit last)
     * @param unit              its unit
     * @param against           the experiment compared with A
     * @param a                 A's overall value, or null
     * @param b                 its overall value, or null
     * @param differencePercent (b - a) / |a| in percent, or null
     * @param test              Welch's t-test of the cycle values (B - A), or null with fewer than 2 cycles on a side
     */
    public record MetricRow(String metric, String unit, String against, Double a, Double b, Double differencePercent,
            WelchTest test) {
    }

    /** Relative difference above which two per-request lengths count as different. */
    static final double LENGTH_TOLERANCE = 0.01;

    public static ExperimentComparison of(List<StoredExperiment> experiments) {
        if (experiments.size() < 2) {
            throw new IllegalArgumentException("a comparison needs 2 or more experiments, got " + experiments.size());
        }
        List<String> ids = experiments.stream().map(StoredExperiment::id).toList();
        Set<String> keys = new TreeSet<>();
        experiments.forEach(e -> keys.addAll(e.config().keySet()));
        List<ConfigDifference> differences = new ArrayList<>();
        for (String key : keys) {
            List<String> values = experiments.stream().map(e -> e.config().getOrDefault(key, "")).toList();
            if (new LinkedHashSet<>(values).size() > 1) {
                differences.add(new ConfigDifference(key, values));
            }
        }
        StoredExperiment a = experiments.get(0);
        List<MetricRow> rows = new ArrayList<>();
        for (StoredExperiment b : experiments.subList(1, experiments.size())) {
            for (TidyTable.Metric metric : TidyTable.METRICS) {
                Double valueA = a.value(metric);
                Double valueB = b.value(metric);
                if (valueA == null && valueB == null) {
                    continue;
                }
                Double percent = valueA == null || valueB == null || valueA == 0 ? null : (valueB - valueA) / Math.abs(valueA) * 100;
                rows.add(new MetricRow(metric.column(), metric.unit(), b.id(), valueA, valueB, percent,
                        WelchTest.of(a.perCycle(metric), b.perCycle(metric))));
            }
        }
        List<String> unfair = new ArrayList<>();
        for (StoredExperiment b : experiments.subList(1, experiments.size())) {
            unfair.addAll(unfairness(a, b));
        }
        for (StoredExperiment e : experiments) {
            if (!e.aggregated()) {
                unfair.add(e.id() + " was never aggregated (run lem aggregate " + e.id() + "): it has no metrics");
                continue;
            }
            int cycles = e.files().result().at("/cycles_measured").asInt();
            if (cycles < 2) {
                unfair.add(e.id() + " has " + cycles + " cycle(s): no t-test against it (run with cycles >= 2)");
            }
            if (!e.files().result().at("/complete").asBoolean(true)) {
                unfair.add(e.id() + " is incomplete: some raw files are missing or partial (see raw_files in its result.json)");
            }
        }
        return new ExperimentComparison(ids, differences, rows, unfair);
    }

    /** What makes B's difference from A misleading. */
    static List<String> unfairness(StoredExperiment a, StoredExperiment b) {
        List<String> notes = new ArrayList<>();
        JsonNode oa = a.overall();
        JsonNode ob = b.overall();
        if (oa.isMissingNode() || ob.isMissingNode()) {
            return notes;
        }
        long requestsA = oa.at("/requests").asLong();
        long requestsB = ob.at("/requests").asLong();
        if (requestsA != requestsB) {
            notes.add(String.format(Locale.ROOT, "request counts differ (%s %d, %s %d): totals such as energy_j and total_flop "
                    + "measure different amounts of work; compare per-token figures (j_per_output_token)", a.id(), requestsA,
                    b.id(), requestsB));
        }
        lengthNote(notes, "prompt lengths", "input", a, b, perRequest(oa, "/input_tokens"), perRequest(ob, "/input_tokens"));
        lengthNote(notes, "output lengths", "output", a, b, perRequest(oa, "/output_tokens"), perRequest(ob, "/output_tokens"));
        boolean estimateA = oa.at("/energy/includes_estimates").asBoolean(false);
        boolean estimateB = ob.at("/energy/includes_estimates").asBoolean(false);
        String sourcesA = sources(oa);
        String sourcesB = sources(ob);
        if (estimateA != estimateB) {
            notes.add("estimates vs measurements: " + (estimateA ? a.id() : b.id()) + "'s energy includes estimates ("
                    + (estimateA ? sourcesA : sourcesB) + "), " + (estimateA ? b.id() : a.id()) + "'s is measured ("
                    + (estimateA ? sourcesB : sourcesA) + "): an energy difference mixes the method with the effect");
        } else if (estimateA && !Objects.equals(a.id(), b.id())) {
            notes.add("both energy figures of " + a.id() + " and " + b.id() + " include estimates: differences follow the "
                    + "estimate's model, not a measurement");
        } else if (!sourcesA.equals(sourcesB)) {
            notes.add("energy sources differ (" + a.id() + ": " + sourcesA + "; " + b.id() + ": " + sourcesB
                    + "): they may count different devices");
        }
        return notes;
    }

    private static void lengthNote(List<String> notes, String what, String tokens, StoredExperiment a, StoredExperiment b,
            Double lengthA, Double lengthB) {
        if (lengthA == null || lengthB == null) {
            return;
        }
        double reference = Math.max(Math.abs(lengthA), Math.abs(lengthB));
        if (reference > 0 && Math.abs(lengthA - lengthB) / reference > LENGTH_TOLERANCE) {
            notes.add(String.format(Locale.ROOT, "%s differ (%s %.1f, %s %.1f %s tokens per request): per-token energy "
                    + "and latency depend on them", what, a.id(), lengthA, b.id(), lengthB, tokens));
        }
    }

    private static Double perRequest(JsonNode overall, String tokens) {
        long requests = overall.at("/requests").asLong();
        return requests > 0 && overall.at(tokens).isNumber() ? overall.at(tokens).asDouble() / requests : null;
    }

    private static String sources(JsonNode overall) {
        List<String> names = new ArrayList<>();
        overall.at("/energy/sources_used").forEach(n -> names.add(n.asText()));
        return names.isEmpty() ? "none" : String.join(", ", names);
    }
}
