package lem.runtime.run;

/** What a run reports while it goes, for the shell's progress lines. */
public interface RunProgress {
    /** A new phase began: environment, baseline, loading, warmup, cycle n, aggregation. */
    void phase(String description);

    /**
     * About once a second during a measurement window.
     *
     * @param powerWatts the latest total power of the measuring sources, or of the estimating
     *                   ones when none measures; NaN when there is neither
     * @param estimated  true when {@code powerWatts} is an estimate
     */
    void measuring(int cycle, int cycles, int requestsDone, int requestsTotal, long elapsedNanos, double powerWatts,
            boolean estimated);

    RunProgress SILENT = new RunProgress() {
        @Override
        public void phase(String description) {
        }

        @Override
        public void measuring(int cycle, int cycles, int done, int total, long elapsedNanos, double powerWatts,
                boolean estimated) {
        }
    };
}
