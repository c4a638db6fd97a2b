package lem.runtime.command;

import java.util.Comparator;
import java.util.Optional;

import lem.runtime.config.ExperimentConfig;
import lem.runtime.results.AggregatedResult;
import lem.runtime.results.ExperimentSummary;
import lem.runtime.results.ResultStore;
import lem.runtime.results.RunState;
import lem.runtime.results.WorkloadMetrics;

/**
 * How long a run will take, for {@code lem run --dry-run}: the idle baseline, the warmup, and each
 * cycle's requests at the rate the newest complete run of the same experiment name measured (or
 * the traffic's pace where that is slower). Without such a run, only the parts that do not depend on
 * the model's speed are known, and the estimate says so.
 */
final class DurationEstimate {
    private DurationEstimate() {
    }

    static String describe(ExperimentConfig c, ResultStore history) {
        double baseline = c.baseline().enabled() ? c.baseline().durationSeconds() : 0;
        double pacedPerCycle = c.traffic().targetQps().isPresent() ? c.prompts().count() / c.traffic().targetQps().getAsDouble() : 0;
        Optional<Rate> rate = measuredRate(c.name(), history);
        StringBuilder text = new StringBuilder();
        if (rate.isPresent()) {
            double perRequest = rate.get().secondsPerRequest();
            double perCycle = Math.max(pacedPerCycle, c.prompts().count() * perRequest);
            double warmupMin = c.warmup().enabled() ? c.warmup().minRequests() * perRequest : 0;
            double warmupMax = c.warmup().enabled() ? c.warmup().maxRequests() * perRequest : 0;
            double low = baseline + warmupMin + c.cycles() * perCycle;
            double high = baseline + warmupMax + c.cycles() * perCycle;
            text.append("about ").append(ConsoleProgress.seconds(seconds(low)));
            if (seconds(high) != seconds(low)) {
                text.append(" to ").append(ConsoleProgress.seconds(seconds(high)));
            }
            text.append(" plus model loading: ").append(parts(baseline, c)).append(", ").append(c.cycles())
                    .append(" cycle(s) x ").append(ConsoleProgress.seconds(seconds(perCycle))).append(" (")
                    .append(Numbers.format(perRequest * 1000)).append(" ms per request as measured by ")
                    .append(rate.get().experimentId()).append(")");
        } else {
            double known = baseline + c.cycles() * pacedPerCycle;
            text.append("at least ").append(ConsoleProgress.seconds(seconds(known))).append(" (").append(parts(baseline, c))
                    .append(pacedPerCycle > 0 ? ", traffic pace " + ConsoleProgress.seconds(seconds(pacedPerCycle)) + " per cycle" : "")
                    .append(") plus generation, unknown until one run of '").append(c.name())
                    .append("' is stored; then its measured rate is used");
        }
        return text.toString();
    }

    private static String parts(double baselineSeconds, ExperimentConfig c) {
        return "baseline " + (baselineSeconds > 0 ? ConsoleProgress.seconds(seconds(baselineSeconds)) + " unless cached" : "off")
                + ", warmup " + (c.warmup().enabled() ? c.warmup().minRequests() + "-" + c.warmup().maxRequests() + " requests" : "off");
    }

    private static long seconds(double s) {
        return (long) (s * 1e9);
    }

    record Rate(String experimentId, double secondsPerRequest) {
    }

    /** Seconds per request in the measured windows of the newest complete run of that name. */
    static Optional<Rate> measuredRate(String name, ResultStore history) {
        return history.newestComplete(name).filter(r -> r.overall().requests() > 0)
                .map(r -> new Rate(r.experimentId(), r.overall().windowNanos() / 1e9 / r.overall().requests()));
    }
}
