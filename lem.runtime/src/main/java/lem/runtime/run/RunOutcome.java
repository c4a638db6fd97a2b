package lem.runtime.run;

import java.nio.file.Path;

import lem.runtime.results.AggregatedResult;

/**
 * How a run ended.
 *
 * @param experimentId the experiment
 * @param directory    its results folder
 * @param complete     every cycle measured
 * @param reason       why not, or null
 * @param result       the aggregate of what was measured, or null when nothing could be aggregated
 */
public record RunOutcome(String experimentId, Path directory, boolean complete, String reason,
        AggregatedResult result) {
}
