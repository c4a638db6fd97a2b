package lem.runtime.run;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import lem.runtime.results.AggregatedResult;
import lem.runtime.results.MetricStatistics;
import lem.runtime.results.WorkloadMetrics;

/**
 * The cost of measuring: the same experiment run with every meter off, on at 100 ms sampling and on
 * at 10 ms sampling (power series kept at the sampling rate), N times each, interleaved round by
 * round so that a drift of the machine (another job, a clock change) falls on every setting alike.
 * Per setting: output tokens/s and decode ms/token (TPOT) with mean, sd and 95% t-interval
 * ({@link MetricStatistics}); per meters-on setting the ratio of its mean to the meters-off mean
 * with a 95% interval ({@link #ratioOfMeans}). It prints numbers; nothing in it asserts a speed.
 */
public final class OverheadBenchmark {
    /**
     * How the interval of a ratio of means is worked out, in words (printed under the table).
     */
    public static final String RATIO_METHOD = "ratio of means on/off; 95% CI by the delta method on the log ratio: "
            + "exp(ln R +- t(0.975, df) sqrt(s_on^2/(n_on m_on^2) + s_off^2/(n_off m_off^2))), df by Welch-Satterthwaite "
            + "rounded down";

    /** One way of running the experiment. */
    public enum Setting {
        OFF("meters off", 0),
        ON_100_MS("meters on, 100 ms", 100),
        ON_10_MS("meters on, 10 ms", 10);

        private final String label;
        private final int intervalMillis;

        Setting(String label, int intervalMillis) {
            this.label = label;
            this.intervalMillis = intervalMillis;
        }

        public String label() {
            return label;
        }

        /**
         * The {@code --set} overrides that make a config this setting: no source at all, or the
         * config's sources sampling every {@code intervalMillis} with every sample kept in the power
         * series.
         */
        public List<String> overrides() {
            if (this == OFF) {
                return List.of("energy.sources=none");
            }
            return List.of("energy.interval_ms=" + intervalMillis, "timeseries.enabled=true",
                    "timeseries.interval_ms=" + intervalMillis);
        }
    }

    /** Runs the experiment once with the setting's overrides added to the user's. */
    @FunctionalInterface
    public interface Trial {
        RunOutcome run(Setting setting, List<String> overrides) throws IOException;
    }

    /**
     * One run of the benchmark.
     *
     * @param round                  1-based round
     * @param setting                how it ran
     * @param experimentId           its experiment
     * @param directory              its results folder
     * @param reason                 why it is incomplete, or null
     * @param outputTokensPerSecond  output tokens / measured time over its cycles, or null
     * @param decodeMsPerToken       mean TPOT, (E2E - TTFT) / (tokens - 1), or null
     * @param energySources          the sources that counted energy; empty when none ran
     */
    public record Run(int round, Setting setting, String experimentId, Path directory, String reason,
            Double outputTokensPerSecond, Double decodeMsPerToken, List<String> energySources) {

        public Run {
            energySources = List.copyOf(energySources);
        }

        boolean complete() {
            return reason == null;
        }

        static Run of(int round, Setting setting, RunOutcome outcome) {
            AggregatedResult result = outcome.result();
            WorkloadMetrics overall = result == null ? null : result.overall();
            return new Run(round, setting, outcome.experimentId(), outcome.directory(),
                    outcome.complete() ? null : outcome.reason(),
                    overall == null ? null : overall.outputTokensPerSecond(),
                    overall == null ? null : overall.latency().tpotMs().mean(),
                    overall == null || overall.energy() == null ? List.of() : overall.energy().sourcesUsed());
        }
    }

    /** A setting's figures over its complete runs. */
    public record SettingFigures(Setting setting, MetricStatistics outputTokensPerSecond,
            MetricStatistics decodeMsPerToken, Ratio throughputRatio, Ratio decodeRatio) {
    }

    /**
     * The ratio of a meters-on mean to the meters-off mean.
     *
     * @param ratio            m_on / m_off
     * @param ciLow            lower end of its 95% interval, or null with fewer than 2 runs on a side
     * @param ciHigh           upper end, or null
     * @param degreesOfFreedom Welch-Satterthwaite degrees of freedom, rounded down, or null
     */
    public record Ratio(double ratio, Double ciLow, Double ciHigh, Integer degreesOfFreedom) {
    }

    /**
     * @param runs     every run, in the order they ran
     * @param settings per setting, meters off first
     * @param stopped  why the benchmark stopped early, or null when every run finished
     */
    public record Report(List<Run> runs, List<SettingFigures> settings, String stopped) {
        public Report {
            runs = List.copyOf(runs);
            settings = List.copyOf(settings);
        }
    }

    private OverheadBenchmark() {
    }

    /**
     * The order of the runs: {@code repeats} rounds, each with every setting once, in the order
     * off, 100 ms, 10 ms; or, with a seed, in an order shuffled per round by that seed.
     */
    public static List<Setting> schedule(int repeats, Long seed) {
        if (repeats < 1) {
            throw new IllegalArgumentException("repeats must be >= 1, got " + repeats);
        }
        Random random = seed == null ? null : new Random(seed);
        List<Setting> order = new ArrayList<>();
        for (int round = 0; round < repeats; round++) {
            List<Setting> settings = new ArrayList<>(List.of(Setting.values()));
            if (random != null) {
                Collections.shuffle(settings, random);
            }
            order.addAll(settings);
        }
        return order;
    }

    /**
     * Runs the schedule. A run that ends incomplete (a failure, Ctrl-C) stops the benchmark; the
     * report then holds what ran and says why it stopped.
     *
     * @param afterEach told of each run as it ends
     */
    public static Report run(int repeats, Long seed, Trial trial, Consumer<Run> afterEach) throws IOException {
        List<Setting> schedule = schedule(repeats, seed);
        int perRound = Setting.values().length;
        List<Run> runs = new ArrayList<>();
        String stopped = null;
        for (int i = 0; i < schedule.size(); i++) {
            Setting setting = schedule.get(i);
            Run run = Run.of(i / perRound + 1, setting, trial.run(setting, setting.overrides()));
            runs.add(run);
            afterEach.accept(run);
            if (!run.complete()) {
                stopped = "run " + (i + 1) + " of " + schedule.size() + " (" + setting.label() + ", " + run.experimentId()
                        + ") is incomplete: " + run.reason();
                break;
            }
        }
        return new Report(runs, figures(runs), stopped);
    }

    /** Per setting, over its complete runs; each meters-on setting with its ratios to meters off. */
    static List<SettingFigures> figures(List<Run> runs) {
        List<MetricStatistics[]> stats = new ArrayList<>();
        for (Setting setting : Setting.values()) {
            List<Double> throughput = new ArrayList<>();
            List<Double> decode = new ArrayList<>();
            for (Run run : runs) {
                if (run.setting() == setting && run.complete()) {
                    addIfPresent(throughput, run.outputTokensPerSecond());
                    addIfPresent(decode, run.decodeMsPerToken());
                }
            }
            stats.add(new MetricStatistics[] {MetricStatistics.of("output_tokens_per_s", "tokens/s", throughput),
                    MetricStatistics.of("decode_ms_per_token", "ms", decode)});
        }
        MetricStatistics[] off = stats.get(Setting.OFF.ordinal());
        List<SettingFigures> figures = new ArrayList<>();
        for (Setting setting : Setting.values()) {
            MetricStatistics[] own = stats.get(setting.ordinal());
            boolean on = setting != Setting.OFF;
            figures.add(new SettingFigures(setting, own[0], own[1], on ? ratioOfMeans(own[0], off[0]) : null,
                    on ? ratioOfMeans(own[1], off[1]) : null));
        }
        return figures;
    }

    private static void addIfPresent(List<Double> values, Double value) {
        if (value != null) {
            values.add(value);
        }
    }

    /**
     * {@code on.mean / off.mean} with a 95% interval from the delta method on the log scale: the
     * variance of {@code ln(m_on / m_off)} is about {@code s_on^2 / (n_on m_on^2) + s_off^2 / (n_off m_off^2)}
     * (independent samples, unequal variances), the interval {@code exp(ln R +- t se)} with t from
     * the t distribution at the Welch-Satterthwaite degrees of freedom rounded down (conservative).
     * The interval stays positive and is not symmetric around R.
     *
     * @return null when either mean is missing or not positive
     */
    public static Ratio ratioOfMeans(MetricStatistics on, MetricStatistics off) {
        if (on.mean() == null || off.mean() == null || on.mean() <= 0 || off.mean() <= 0) {
            return null;
        }
        double ratio = on.mean() / off.mean();
        if (on.stdDev() == null || off.stdDev() == null) {
            return new Ratio(ratio, null, null, null);
        }
        double varianceOn = relativeVarianceOfMean(on);
        double varianceOff = relativeVarianceOfMean(off);
        double variance = varianceOn + varianceOff;
        int degreesOfFreedom;
        if (variance == 0) {
            degreesOfFreedom = on.n() + off.n() - 2; // no spread on either side: the interval is the ratio itself
        } else {
            double welch = variance * variance / (varianceOn * varianceOn / (on.n() - 1) + varianceOff * varianceOff / (off.n() - 1));
            degreesOfFreedom = Math.max(1, (int) Math.floor(welch));
        }
        double halfWidth = MetricStatistics.tQuantile(degreesOfFreedom) * Math.sqrt(variance);
        return new Ratio(ratio, ratio * Math.exp(-halfWidth), ratio * Math.exp(halfWidth), degreesOfFreedom);
    }

    /** s^2 / (n m^2): the variance of the log of the mean, to first order. */
    private static double relativeVarianceOfMean(MetricStatistics s) {
        return s.stdDev() * s.stdDev() / (s.n() * s.mean() * s.mean());
    }
}
