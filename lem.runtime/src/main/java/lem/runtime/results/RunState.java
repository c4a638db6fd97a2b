package lem.runtime.results;

/** Where an experiment stands, as {@code status.json} records it. */
public enum RunState {
    /** Started and not finished; after a crash it stays so, which also tells the story. */
    RUNNING,
    /** Every cycle measured and the result written. */
    COMPLETE,
    /** Stopped early (Ctrl-C, a backend failure, a bundle that went away); the reason says which. */
    INCOMPLETE,
    /**
     * Never written: what a reader concludes when status.json says running but the process that wrote it
     * is gone ({@link RunningProcess#isGone}).
     */
    DEAD
}
