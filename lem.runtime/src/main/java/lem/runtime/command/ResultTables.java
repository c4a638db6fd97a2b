package lem.runtime.command;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import lem.runtime.results.AggregatedResult;
import lem.runtime.results.CarbonFootprint;
import lem.runtime.results.EnergyMetrics;
import lem.runtime.results.ExperimentSummary;
import lem.runtime.results.FlopsMetrics;
import lem.runtime.results.Goodput;
import lem.runtime.results.MetricStatistics;
import lem.runtime.results.PhaseEnergy;
import lem.runtime.results.QualityResult;
import lem.runtime.results.SampleSummary;
import lem.runtime.results.SteadyState;
import lem.runtime.results.ThrottleSummary;
import lem.runtime.results.WorkloadMetrics;

/** Tables people read for results: a run's summary, the list of experiments, a comparison. */
public final class ResultTables {
    private ResultTables() {
    }

    /** Perplexity rows: beside the efficiency figures, what the model's accuracy is. */
    private static void quality(QualityResult quality, List<List<String>> rows) {
        if (quality == null) {
            return;
        }
        qualityRow("perplexity, eval text", quality.evalText(), rows);
        qualityRow("perplexity, own outputs", quality.generated(), rows);
        quality.notes().forEach(note -> rows.add(row("quality", "-", "", note)));
    }

    private static void qualityRow(String label, QualityResult.Figure figure, List<List<String>> rows) {
        if (figure == null) {
            return;
        }
        if (figure.perplexity() == null) {
            rows.add(row(label, "-", "", figure.error()));
            return;
        }
        rows.add(row(label, num(figure.perplexity()), "", "mean NLL " + num(figure.meanNllNats()) + " nats over "
                + figure.tokensScored() + " tokens" + (figure.file() == null ? "" : " of " + figure.file())
                + "; scored after the measurement"));
    }

    /** A generic table. */
    public record Rows(String title, List<String> headers, List<List<String>> rows, List<String> footer) implements Table {
        public Rows {
            headers = List.copyOf(headers);
            rows = List.copyOf(rows);
            footer = List.copyOf(footer);
        }
    }

    /** A figure as given (a table's 56 g/kWh, a PUE of 1.2), without padding to a precision. */
    private static String plain(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }

    /** The summary of an experiment: what `lem run` prints at the end and `lem results show` prints later. */
    public static Rows summary(AggregatedResult result, String status, String directory) {
        WorkloadMetrics m = result.overall();
        if (m == null) {
            return nothingMeasured(result, status, directory);
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(row("requests", String.valueOf(m.requests()), "", m.failedRequests() + " failed"));
        rows.add(row("tokens in / out", m.inputTokens() + " / " + m.outputTokens(), "tokens", ""));
        rows.add(row("measured time", num(m.windowNanos() / 1e9), "s", result.cyclesMeasured() + " cycle(s)"));
        String[] tps = Numbers.together(m.outputTokensPerSecond(), m.totalTokensPerSecond());
        rows.add(row("throughput", tps[0], "output tokens/s", "pooled over cycles: all output tokens / all measured "
                + "time; " + tps[1] + " total tokens/s"));
        rows.add(row("request rate", num(m.requestsPerSecond()), "requests/s", "pooled over cycles"));
        var l = m.latency();
        rows.add(row("TTFT", dist(l.ttftMs()), "ms", "mean / p50 / p90 / p99, from arrival"));
        if (l.queueMs() != null && l.queueMs().max() != null && l.queueMs().max() > 0) {
            rows.add(row("queue", dist(l.queueMs()), "ms", "arrival to start: waiting for a batch slot or a connection"));
        }
        String[] itl = dist(l.itlRawMs(), l.itlTrimmedMs() == null ? null : l.itlTrimmedMs().mean());
        rows.add(row("ITL", itl[0], "ms", "raw gaps; trimmed mean " + itl[1]
                + (l.multiTokenChunks() > 0 ? "; " + l.multiTokenChunks() + " multi-token chunks" : "")));
        if (l.multiTokenChunks() > 0 && l.itlPerTokenMs() != null) {
            rows.add(row("ITL per token", dist(l.itlPerTokenMs()), "ms", "a chunk of k tokens gives k gaps of gap / k"));
        }
        rows.add(row("TPOT", dist(l.tpotMs()), "ms", "(E2E - TTFT) / (tokens - 1)"));
        rows.add(row("end to end", dist(l.e2eMs()), "ms", "from arrival"));
        rows.add(row("prefill / decode time", String.join(" / ", Numbers.together(l.prefillTotalMs(), l.decodeTotalMs())), "ms",
                "summed over requests"));
        EnergyMetrics e = m.energy();
        if (result.unmetered()) {
            rows.add(row("energy", "unmetered", "", "energy.sources: none: no energy source ran, no baseline was taken"));
        }
        if (e != null) {
            rows.add(row("energy", num(e.rawJoules()), "J", "raw; sources " + String.join(", ", e.sourcesUsed())
                    + (e.includesEstimates() ? " (includes estimates)" : "")));
            rows.add(row("energy, baseline-adjusted", num(e.adjustedJoules()), "J", "max(0, raw - idle W x time)"));
            e.countedJoulesByDomain().forEach((domain, joules) -> rows.add(row("  " + domain, num(joules), "J", "")));
        }
        PhaseEnergy p = m.phaseEnergy();
        if (p != null) {
            rows.add(row("prefill / decode energy", String.join(" / ", Numbers.together(p.prefillJoules(), p.decodeJoules())), "J",
                    p.method()));
        }
        if (!result.unmetered()) {
            String[] perToken = Numbers.together(m.joulesPerOutputToken(), m.adjustedJoulesPerOutputToken());
            rows.add(row("energy per output token", perToken[0], "J/token", "adjusted " + perToken[1]));
            rows.add(row("output tokens per joule", num(m.outputTokensPerJoule()), "tokens/J", ""));
        }
        CarbonFootprint carbon = m.carbon();
        if (carbon != null) {
            rows.add(row("CO2", num(carbon.co2Grams()), "g", num(carbon.energyJoules()) + " J raw x PUE " + plain(carbon.pue())
                    + " x " + plain(carbon.intensityGramsPerKwh()) + " g/kWh (" + carbon.countryName()
                    + (carbon.countryIsoCode().isEmpty() ? "" : ", " + carbon.countryIsoCode()) + "; "
                    + carbon.intensitySource() + ")"));
        } else if (e != null && !e.sourcesUsed().isEmpty()) {
            rows.add(row("CO2", "-", "", "no energy source gave a grid carbon intensity (the codecarbon source does)"));
        }
        SteadyState steady = m.steadyState();
        if (steady != null && steady.inFlight() > 1) {
            rows.add(row("steady state", num(steady.durationNanos() / 1e9), "s", steady.inFlight() + " requests in flight; "
                    + num(steady.outputTokensPerSecond()) + " output tokens/s"
                    + (steady.joulesPerOutputToken() == null ? "" : ", " + num(steady.joulesPerOutputToken()) + " J/token")));
        }
        Goodput goodput = result.goodput();
        if (goodput != null) {
            rows.add(row("goodput", num(goodput.goodShare() * 100), "% of requests", goodput.goodRequests() + " of "
                    + goodput.requests() + " met " + goodput.objectivesMs() + " ms; "
                    + num(goodput.goodRequestsPerSecond()) + " good requests/s"));
        }
        quality(result.quality(), rows);
        FlopsMetrics f = m.flops();
        if (f != null) {
            String[] flops = Numbers.together((double) f.totalFlops(), (double) f.prefillFlops(), (double) f.decodeFlops());
            rows.add(row("FLOPs", flops[0] + " (prefill " + flops[1] + ", decode " + flops[2] + ")",
                    "FLOP", shortMethod(f.method()) + ", " + f.confidence().toLowerCase(Locale.ROOT) + " confidence (details in result.json)"));
            if (!result.unmetered()) {
                rows.add(row("FLOP per joule", sci(f.flopsPerJoule()), "FLOP/J", ""));
            }
            rows.add(row("FLOP per output token", sci(f.flopsPerOutputToken()), "FLOP/token", ""));
        } else {
            rows.add(row("FLOPs", "-", "", "no strategy answered (see flops_chain in result.json)"));
        }
        Long peak = m.peakDeviceMemoryBytes();
        rows.add(row("peak device memory", peak == null || peak < 0 ? Numbers.UNKNOWN : num(peak / 1048576.0),
                peak == null || peak < 0 ? "" : "MiB", ""));
        for (ThrottleSummary t : m.throttling()) {
            rows.add(row("throttling: " + t.cause(), num(t.totalDurationMs()), "ms", t.periods() + " period(s) on " + t.devices()));
        }
        List<String> footer = new ArrayList<>();
        List<MetricStatistics> stats = result.statistics().stream().filter(s -> s.n() >= 2 && s.mean() != null).toList();
        if (!stats.isEmpty()) {
            footer.add("The figures above are pooled over cycles (totals over all cycles, latencies from all requests).");
            footer.add("Across cycles, the mean of the per-cycle values (not the pooled figure) with sd, CV and its 95% "
                    + "t-interval, t(0.975, n-1); and the geometric mean of cycles with its 95% log-scale interval, "
                    + "which stays above 0:");
            for (MetricStatistics s : stats) {
                String[] v = Numbers.together(s.mean(), s.stdDev(), s.ciLow(), s.ciHigh());
                String geometric = "";
                if (s.geometricMean() != null) {
                    // each on its own: a log-scale interval spans orders of magnitude, and shared decimals
                    // would print its positive lower end as 0
                    geometric = "  geomean " + num(s.geometricMean()) + " log-CI [" + num(s.logCiLow()) + ", "
                            + num(s.logCiHigh()) + "]";
                }
                footer.add(String.format(Locale.ROOT, "  %-28s n=%d  mean of cycles %s %s  sd %s  CV %s  t-CI [%s, %s]%s",
                        s.metric(), s.n(), v[0], s.unit(), v[1], percent(s.coefficientOfVariation()), v[2], v[3],
                        geometric));
            }
            footer.addAll(statisticsWarnings(stats));
        } else if (result.cyclesMeasured() == 1) {
            footer.add("One cycle: no confidence interval (run with --cycles N, N >= 2, for one).");
        }
        footer.addAll(collapsedWarnings(result.warnings()));
        footer.add("Results: " + directory);
        return new Rows("Experiment " + result.experimentId() + " (" + result.name() + "): " + status,
                List.of("METRIC", "VALUE", "UNIT", "HOW"), rows, footer);
    }

    /**
     * The warnings of the across-cycles block, each text once: with the metrics it concerns, or
     * without when it concerns every metric (too few cycles).
     */
    static List<String> statisticsWarnings(List<MetricStatistics> stats) {
        java.util.Map<String, List<String>> metricsByText = new java.util.LinkedHashMap<>();
        for (MetricStatistics s : stats) {
            s.warnings().forEach(w -> metricsByText.computeIfAbsent(w, k -> new ArrayList<>()).add(s.metric()));
        }
        List<String> lines = new ArrayList<>();
        metricsByText.forEach((text, metrics) -> {
            lines.add("warning: across cycles" + (metrics.size() == stats.size() ? ""
                    : " (" + String.join(", ", metrics) + ")") + ": " + text);
        });
        return lines;
    }

    /** A run cut before any cycle was complete: which raw files there are and why none counts. */
    private static Rows nothingMeasured(AggregatedResult result, String status, String directory) {
        List<List<String>> rows = new ArrayList<>();
        result.rawFiles().forEach(f -> rows.add(List.of(f.path(), f.complete() ? "complete" : "incomplete",
                String.valueOf(f.complete() ? f.exclusionReason() : f.incompleteReason()))));
        List<String> footer = new ArrayList<>();
        footer.add("Nothing measured: no cycle of this experiment is complete, so there are no metrics.");
        footer.addAll(collapsedWarnings(result.warnings()));
        footer.add("Results: " + directory);
        return new Rows("Experiment " + result.experimentId() + " (" + result.name() + "): " + status,
                List.of("RAW FILE", "STATE", "WHY"), rows, footer);
    }

    private static final java.util.regex.Pattern CYCLE_PREFIX = java.util.regex.Pattern.compile("^cycle (\\d+)(?: process \\d+)?: ");

    /**
     * The same warning for every cycle is printed once with the cycles it concerns; result.json
     * keeps each one.
     */
    static List<String> collapsedWarnings(List<String> warnings) {
        java.util.Map<String, List<String>> cyclesByText = new java.util.LinkedHashMap<>();
        for (String w : warnings) {
            java.util.regex.Matcher m = CYCLE_PREFIX.matcher(w);
            String text = m.find() ? w.substring(m.end()) : w;
            List<String> cycles = cyclesByText.computeIfAbsent(text, k -> new ArrayList<>());
            if (m.find(0)) {
                cycles.add(m.group(1));
            }
        }
        List<String> lines = new ArrayList<>();
        cyclesByText.forEach((text, cycles) -> lines.add("warning: " + (cycles.isEmpty() ? ""
                : (cycles.size() == 1 ? "cycle " : "cycles ") + String.join(", ", cycles.stream().distinct().toList()) + ": ") + text));
        return lines;
    }

    public static Rows list(List<ExperimentSummary> experiments) {
        DateTimeFormatter time = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
        List<List<String>> rows = new ArrayList<>();
        for (ExperimentSummary s : experiments) {
            rows.add(List.of(s.experimentId(), s.name(), s.state().name().toLowerCase(Locale.ROOT)
                    + (s.reason() == null || s.reason().isEmpty() ? "" : " (" + s.reason() + ")"),
                    s.startedEpochMillis() > 0 ? time.format(Instant.ofEpochMilli(s.startedEpochMillis())) : "-",
                    s.cycles() == null ? "-" : String.valueOf(s.cycles()), num(s.outputTokensPerSecond()), num(s.energyRawJoules()),
                    num(s.joulesPerOutputToken()), num(s.ttftMeanMs())));
        }
        return new Rows("Experiments", List.of("ID", "NAME", "STATE", "STARTED (UTC)", "CYCLES", "TOKENS/S", "ENERGY J",
                "J/TOKEN", "TTFT ms"), rows, List.of());
    }

    /** The method's name without its explanation, which result.json keeps whole. */
    static String shortMethod(String method) {
        int paren = method.indexOf(" (");
        return paren > 0 ? method.substring(0, paren) : method;
    }

    /** A ratio as a percentage, by the same rule (a coefficient of variation: 0.1286 is 12.86%). */
    static String percent(Double ratio) {
        return ratio == null ? Numbers.UNKNOWN : Numbers.format(ratio * 100) + "%";
    }

    private static List<String> row(String metric, String value, String unit, String how) {
        return List.of(metric, value, unit, how);
    }

    static String dist(SampleSummary s) {
        return dist(s, new Double[0])[0];
    }

    /**
     * "mean / p50 / p90 / p99" and the extra numbers shown with it, all in one format; "n/a" for no
     * samples.
     */
    static String[] dist(SampleSummary s, Double... extra) {
        boolean none = s == null || s.count() == 0;
        Double[] all = new Double[4 + extra.length];
        if (!none) {
            all[0] = s.mean();
            all[1] = s.median();
            all[2] = s.p90();
            all[3] = s.p99();
        }
        System.arraycopy(extra, 0, all, 4, extra.length);
        String[] text = Numbers.together(all);
        String[] out = new String[1 + extra.length];
        out[0] = none ? Numbers.UNKNOWN : String.join(" / ", text[0], text[1], text[2], text[3]);
        System.arraycopy(text, 4, out, 1, extra.length);
        return out;
    }

    static String num(Double v) {
        return Numbers.format(v);
    }

    static String num(double v) {
        return Numbers.format(v);
    }

    static String sci(Double v) {
        return v == null ? Numbers.UNKNOWN : String.format(Locale.ROOT, "%." + (Numbers.SIGNIFICANT - 1) + "e", v);
    }
}
