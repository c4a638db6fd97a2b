package lem.runtime.results;

import java.util.Objects;

/**
 * The small {@code status.json} of an experiment directory.
 *
 * @param schemaVersion      {@link RawResult#SCHEMA_VERSION}
 * @param experimentId       the experiment
 * @param name               the experiment's name from its config
 * @param state              running, complete or incomplete ({@link RunState#DEAD} is never written)
 * @param reason             why it is incomplete, or null
 * @param startedEpochMillis when the directory was created, wall clock
 * @param updatedEpochMillis when the state last changed, wall clock
 * @param pid                the process that runs the experiment, or null when not recorded (older files)
 * @param host               the host name of that process, or null
 * @param processStartedEpochMillis when that process started, wall clock, or null: tells a live run from
 *                           a new process that got the same PID after the run's process died
 */
public record ExperimentStatus(String schemaVersion, String experimentId, String name, RunState state, String reason,
        long startedEpochMillis, long updatedEpochMillis, Long pid, String host, Long processStartedEpochMillis) {
    public ExperimentStatus {
        schemaVersion = schemaVersion == null ? RawResult.SCHEMA_VERSION : schemaVersion;
        Objects.requireNonNull(experimentId, "experimentId");
        name = name == null ? experimentId : name;
        Objects.requireNonNull(state, "state");
        if (state == RunState.DEAD) {
            throw new IllegalArgumentException("status.json never records dead: it is what a reader concludes from a "
                    + "running status whose process is gone");
        }
    }

    /** A new experiment, running in this process. */
    static ExperimentStatus running(String experimentId, String name, long nowEpochMillis) {
        RunningProcess self = RunningProcess.current();
        return new ExperimentStatus(RawResult.SCHEMA_VERSION, experimentId, name, RunState.RUNNING, null, nowEpochMillis,
                nowEpochMillis, self.pid(), self.host(), self.startedEpochMillis());
    }

    /** The same experiment in another state. */
    ExperimentStatus withState(RunState next, String nextReason, long nowEpochMillis) {
        return new ExperimentStatus(schemaVersion, experimentId, name, next, nextReason, startedEpochMillis,
                nowEpochMillis, pid, host, processStartedEpochMillis);
    }
}
