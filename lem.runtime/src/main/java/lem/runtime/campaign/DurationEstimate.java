package lem.runtime.campaign;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

import lem.runtime.config.ExperimentConfig;
import lem.runtime.results.AggregatedResult;
import lem.runtime.results.ExperimentSummary;
import lem.runtime.results.ResultStore;
import lem.runtime.results.ResultsFileException;
import lem.runtime.results.RunState;
import lem.runtime.results.UnknownExperimentException;

/**
 * How long one run of an experiment will take, as far as lem can know before measuring: the idle
 * baseline it takes, plus the measured window of its latest complete earlier run of the same name
 * (per cycle, times the config's cycles). Model loading and warmup are not counted; without an
 * earlier run only the baseline is known, and the estimate says so.
 *
 * @param seconds the estimate
 * @param known   false when it is only a lower bound (no earlier run)
 * @param basis   what it rests on, in words
 */
public record DurationEstimate(double seconds, boolean known, String basis) {

    /** The estimate for {@code config}, looking for earlier runs under {@code resultsRoot}. */
    public static DurationEstimate of(ExperimentConfig config, Path resultsRoot) {
        double baseline = config.baseline().enabled() ? config.baseline().durationSeconds() : 0;
        java.util.Optional<AggregatedResult> earlier = new ResultStore(resultsRoot).newestComplete(config.name());
        if (earlier.isPresent()) {
            AggregatedResult result = earlier.get();
            double perCycle = result.overall().windowNanos() / 1e9 / result.cyclesMeasured();
            return new DurationEstimate(baseline + perCycle * config.cycles(), true, "baseline " + format(baseline)
                    + " s + " + config.cycles() + " x " + format(perCycle) + " s measured by " + result.experimentId());
        }
        return new DurationEstimate(baseline, false, "at least the baseline's " + format(baseline)
                + " s; no earlier complete run of this experiment to time the measurement by");
    }

    /** Seconds as a table shows them: one decimal under 100 s, whole above. */
    public static String format(double seconds) {
        return seconds >= 100 ? String.valueOf(Math.round(seconds)) : String.format(java.util.Locale.ROOT, "%.1f", seconds);
    }
}
