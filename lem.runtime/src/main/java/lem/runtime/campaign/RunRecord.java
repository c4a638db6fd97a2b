package lem.runtime.campaign;

import java.util.List;

/**
 * {@code runs/run_<index>.json}: where one planned run stands. No file means it never started.
 *
 * @param index              the run's index in the plan
 * @param experiment         the experiment's name
 * @param cycle              the campaign cycle
 * @param state              running, complete, failed or cancelled
 * @param experimentId       the results folder's id of the latest attempt, or null before it has one
 * @param resultDirectory    that folder, or null
 * @param reason             why it failed or was cancelled, or null
 * @param gapSeconds         the pause taken before it started
 * @param startedEpochMillis when the latest attempt started
 * @param endedEpochMillis   when it ended, or 0 while running
 * @param earlierAttempts    what became of earlier attempts (a kill, a failure), oldest first
 * @param coolDown           the thermal wait before it started, or null when the campaign has none
 */
public record RunRecord(int index, String experiment, int cycle, State state, String experimentId,
        String resultDirectory, String reason, double gapSeconds, long startedEpochMillis, long endedEpochMillis,
        List<String> earlierAttempts, CoolDown.Wait coolDown) {

    public RunRecord {
        earlierAttempts = earlierAttempts == null ? List.of() : List.copyOf(earlierAttempts);
    }

    /** A run's state; anything but {@code COMPLETE} is run again by a resume. */
    public enum State {
        /** Started; after a crash or kill -9 it stays so. */
        RUNNING,
        /** Measured and aggregated. */
        COMPLETE,
        /** The experiment did not complete (a backend error, a bundle gone); {@code reason} says why. */
        FAILED,
        /** Stopped by Ctrl-C or a cancel. */
        CANCELLED
    }

    public boolean complete() {
        return state == State.COMPLETE;
    }

    /** The line a later attempt keeps about this one. */
    String attemptNote() {
        return (experimentId == null ? "no results folder" : experimentId) + ": "
                + (state == State.RUNNING ? "still marked running (the process ended during the run)"
                        : state.name().toLowerCase(java.util.Locale.ROOT) + (reason == null ? "" : ": " + reason));
    }
}
