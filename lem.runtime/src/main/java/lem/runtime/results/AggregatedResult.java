package lem.runtime.results;

import java.util.List;
import java.util.Map;

import lem.api.model.ModelDescription;

/**
 * {@code result.json}: everything computed from an experiment's raw files. It holds nothing that
 * depends on when aggregation ran, so aggregating the same files again gives an equal result.
 *
 * @param schemaVersion     {@link RawResult#SCHEMA_VERSION}
 * @param experimentId      the experiment
 * @param name              its name
 * @param complete          every raw file complete and every cycle has all its processes
 * @param cyclesMeasured    cycles in the statistics
 * @param processesPerCycle most processes any cycle had
 * @param backend           which backend ran (first raw file)
 * @param model             the model it opened (first raw file), or null
 * @param methods           how each figure was worked out, in words
 * @param rawFiles          every raw file read, and whether it counted
 * @param cycles            per cycle
 * @param overall           all included cycles together
 * @param statistics        headline metrics across cycles
 * @param flopsChain        the FLOPs strategies asked (first raw file)
 * @param warnings          what makes the result less sure: problems with the files and every
 *                          warning of the included cycles
 * @param unmetered         true when the config asked for no energy source ({@code energy.sources:
 *                          none}): no source ran and no baseline was taken, so there are no energy
 *                          figures at all (null, never 0)
 * @param goodput           requests that met the config's service-level objectives ({@code slo}),
 *                          or null when it gives none
 * @param quality           perplexity scored after the measurement ({@code quality} in the config),
 *                          from {@link QualityResult#FILE}; null when none was asked
 */
public record AggregatedResult(String schemaVersion, String experimentId, String name, boolean complete,
        int cyclesMeasured, int processesPerCycle, BackendIdentity backend, ModelDescription model,
        Map<String, String> methods, List<RawFileEntry> rawFiles, List<CycleResult> cycles, WorkloadMetrics overall,
        List<MetricStatistics> statistics, List<FlopsAttempt> flopsChain, List<String> warnings, boolean unmetered,
        Goodput goodput, QualityResult quality) {

    public AggregatedResult {
        methods = methods == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(methods));
        rawFiles = List.copyOf(rawFiles);
        cycles = List.copyOf(cycles);
        statistics = List.copyOf(statistics);
        flopsChain = flopsChain == null ? List.of() : List.copyOf(flopsChain);
        warnings = List.copyOf(warnings);
    }

    /** A result without quality figures. */
    public AggregatedResult(String schemaVersion, String experimentId, String name, boolean complete,
            int cyclesMeasured, int processesPerCycle, BackendIdentity backend, ModelDescription model,
            Map<String, String> methods, List<RawFileEntry> rawFiles, List<CycleResult> cycles, WorkloadMetrics overall,
            List<MetricStatistics> statistics, List<FlopsAttempt> flopsChain, List<String> warnings, boolean unmetered,
            Goodput goodput) {
        this(schemaVersion, experimentId, name, complete, cyclesMeasured, processesPerCycle, backend, model, methods,
                rawFiles, cycles, overall, statistics, flopsChain, warnings, unmetered, goodput, null);
    }

    /** The statistics of one headline metric, or null when absent. */
    public MetricStatistics statistic(String metric) {
        return statistics.stream().filter(s -> s.metric().equals(metric)).findFirst().orElse(null);
    }
}
