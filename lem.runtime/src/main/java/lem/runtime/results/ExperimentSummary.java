package lem.runtime.results;

/**
 * One line of {@code lem:results list}. Metric fields are null when the experiment has no result.
 *
 * @param experimentId          the id
 * @param name                  its name
 * @param state                 running, complete or incomplete (null when status.json is missing)
 * @param reason                why incomplete, or null
 * @param startedEpochMillis    when it started, or 0 when unknown
 * @param cycles                cycles in the result
 * @param outputTokensPerSecond overall output tokens / s
 * @param energyRawJoules       overall raw energy
 * @param joulesPerOutputToken  overall J per output token
 * @param ttftMeanMs            overall mean TTFT
 */
public record ExperimentSummary(String experimentId, String name, RunState state, String reason,
        long startedEpochMillis, Integer cycles, Double outputTokensPerSecond, Double energyRawJoules,
        Double joulesPerOutputToken, Double ttftMeanMs) {
}
