package lem.runtime.results;

import java.util.List;
import java.util.Objects;

import lem.api.backend.ExecutedOperations;
import lem.api.energy.EnergyReading;
import lem.api.flops.FlopsEstimate;
import lem.api.model.ModelDescription;

/**
 * What one process measured in one cycle, written to {@code raw/cycle_<c>/process_<n>.json} as soon
 * as it exists. Aggregation reads only these files, so everything a metric needs is here.
 *
 * @param schemaVersion          {@link #SCHEMA_VERSION}
 * @param experimentId           the experiment
 * @param cycle                  1-based cycle number
 * @param process                0-based process index
 * @param host                   host name the process ran on
 * @param wallClockAnchor        the run's one wall-clock anchor
 * @param window                 the measurement window
 * @param backend                which backend ran
 * @param model                  the model it opened, or null when it never opened
 * @param requests               every request of the window
 * @param energy                 one reading per energy source
 * @param baseline               idle power per source and device
 * @param executedOperations     FLOPs the backend counted as it ran, or null
 * @param flops                  the FLOPs chain's estimate, or null
 * @param flopsChain             every strategy asked, in order
 * @param peakDeviceMemoryBytes  peak device memory, or -1 when unknown
 * @param warnings               anything that makes the figures less sure, in words
 * @param powerSeriesFile        the power series, relative to the experiment directory, or null
 * @param complete               false when the window was cut short
 * @param incompleteReason       why, or null
 * @param estimatingSources      the energy sources whose figures are modelled or relayed rather
 *                               than read from the device ({@code SourceInfo.estimate()}): where a
 *                               direct source reads the same device, the direct reading counts
 */
public record RawResult(String schemaVersion, String experimentId, int cycle, int process, String host,
        WallClockAnchor wallClockAnchor, MeasurementWindow window, BackendIdentity backend, ModelDescription model,
        List<RequestTimeline> requests, List<EnergyReading> energy, List<BaselinePower> baseline,
        ExecutedOperations executedOperations, FlopsEstimate flops, List<FlopsAttempt> flopsChain,
        long peakDeviceMemoryBytes, List<String> warnings, String powerSeriesFile, boolean complete,
        String incompleteReason, List<String> estimatingSources) {

    public static final String SCHEMA_VERSION = "1";

    public RawResult {
        schemaVersion = schemaVersion == null ? SCHEMA_VERSION : schemaVersion;
        Objects.requireNonNull(experimentId, "experimentId");
        if (cycle < 1) {
            throw new IllegalArgumentException("cycle is 1-based: " + cycle);
        }
        if (process < 0) {
            throw new IllegalArgumentException("process is 0-based: " + process);
        }
        host = host == null ? "" : host;
        Objects.requireNonNull(wallClockAnchor, "wallClockAnchor");
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(backend, "backend");
        requests = requests == null ? List.of() : List.copyOf(requests);
        energy = energy == null ? List.of() : List.copyOf(energy);
        baseline = baseline == null ? List.of() : List.copyOf(baseline);
        flopsChain = flopsChain == null ? List.of() : List.copyOf(flopsChain);
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
        estimatingSources = estimatingSources == null ? List.of() : List.copyOf(estimatingSources);
        if (!complete && (incompleteReason == null || incompleteReason.isBlank())) {
            throw new IllegalArgumentException("an incomplete raw result needs a reason");
        }
    }

    /** A raw result whose sources all read their devices directly. */
    public RawResult(String schemaVersion, String experimentId, int cycle, int process, String host,
            WallClockAnchor wallClockAnchor, MeasurementWindow window, BackendIdentity backend, ModelDescription model,
            List<RequestTimeline> requests, List<EnergyReading> energy, List<BaselinePower> baseline,
            ExecutedOperations executedOperations, FlopsEstimate flops, List<FlopsAttempt> flopsChain,
            long peakDeviceMemoryBytes, List<String> warnings, String powerSeriesFile, boolean complete,
            String incompleteReason) {
        this(schemaVersion, experimentId, cycle, process, host, wallClockAnchor, window, backend, model, requests, energy,
                baseline, executedOperations, flops, flopsChain, peakDeviceMemoryBytes, warnings, powerSeriesFile, complete,
                incompleteReason, List.of());
    }
}
