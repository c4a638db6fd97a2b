package lem.runtime.results;

import java.util.Objects;

/**
 * The small {@code status.json} of an experiment directory.
 *
 * @param schemaVersion      {@link RawResult#SCHEMA_VERSION}
 * @param experimentId       the experiment
 * @param name               the experiment's name from its config
 * @param state              running, complete or incomplete
 * @param reason             why it is incomplete, or null
 * @param startedEpochMillis when the directory was created, wall clock
 * @param updatedEpochMillis when the state last changed, wall clock
 */
public record ExperimentStatus(String schemaVersion, String experimentId, String name, RunState state, String reason,
        long startedEpochMillis, long updatedEpochMillis) {
    public ExperimentStatus {
        schemaVersion = schemaVersion == null ? RawResult.SCHEMA_VERSION : schemaVersion;
        Objects.requireNonNull(experimentId, "experimentId");
        name = name == null ? experimentId : name;
        Objects.requireNonNull(state, "state");
    }
}
