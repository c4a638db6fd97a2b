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
        ResultStore store = new ResultStore(resultsRoot);
        List<ExperimentSummary> earlier;
        try {
            earlier = store.list().stream()
                    .filter(s -> config.name().equals(s.name()) && s.state() == RunState.COMPLETE)
                    .sorted(Comparator.comparingLong(ExperimentSummary::startedEpochMillis).reversed()).toList();
        } catch (ResultsFileException unreadable) {
            earlier = List.of();
        }
        for (ExperimentSummary summary : earlier) {
            try {
                AggregatedResult result = store.load(summary.experimentId());
                if (result.cyclesMeasured() > 0 && result.overall() != null) {
                    double perCycle = result.overall().windowNanos() / 1e9 / result.cyclesMeasured();
                    return new DurationEstimate(baseline + perCycle * config.cycles(), true,
                            "baseline " + format(baseline) + " s + " + config.cycles() + " x " + format(perCycle)
                                    + " s measured by " + summary.experimentId());
                }
            } catch (ResultsFileException | UnknownExperimentException skipped) {
                // an unreadable earlier run is no basis; try the next one
            }
        }
        return new DurationEstimate(baseline, false, "at least the baseline's " + format(baseline)
                + " s; no earlier complete run of this experiment to time the measurement by");
    }

    /** Seconds as a table shows them: one decimal under 100 s, whole above. */
    public static String format(double seconds) {
        return seconds >= 100 ? String.valueOf(Math.round(seconds)) : String.format(java.util.Locale.ROOT, "%.1f", seconds);
    }
}
