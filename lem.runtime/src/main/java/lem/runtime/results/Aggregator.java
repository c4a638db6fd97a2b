package lem.runtime.results;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Builds an experiment's {@link AggregatedResult} from its files alone: every
 * {@code raw/cycle_<c>/process_<n>.json}, the power series they name, and {@code status.json} for
 * the name. The end of a run and {@code lem:aggregate} both call {@link #aggregate(Path)}, so the
 * numbers are the same.
 */
public final class Aggregator {
    private static final Pattern CYCLE_DIR = Pattern.compile("cycle_(\\d+)");
    private static final Pattern PROCESS_FILE = Pattern.compile("process_(\\d+)\\.json");

    private Aggregator() {
    }

    /** How each figure is worked out; stored in the result so a reader need not guess. */
    static Map<String, String> methods() {
        Map<String, String> methods = new LinkedHashMap<>();
        methods.put("percentiles", SampleSummary.PERCENTILE_METHOD + "; from all raw samples of all processes"
                + " (and cycles), never means of per-request percentiles");
        methods.put("ttft", "the request's arrival (its instant in the traffic plan; all at the window's start "
                + "without traffic) to its first token with content, as MLPerf and vLLM's serving benchmark measure it");
        methods.put("e2e", "the request's arrival to its last token");
        methods.put("queue", "arrival to start (sent to the server, or its batch began in-process): time spent "
                + "waiting for a batch slot or a connection; in TTFT and E2E, and reported on its own");
        methods.put("itl", "gaps between consecutive token arrivals of one request; an arrival carrying several tokens "
                + "is one gap and is counted as a multi-token chunk; trimmed ITL drops each request's first and last gap");
        methods.put("itl_per_token", "an arrival of k tokens after a gap g gives k gaps of g / k; tokens that came "
                + "with the first token are part of TTFT");
        methods.put("tpot", "(E2E - TTFT) / (output tokens - 1), requests with 2 or more output tokens");
        methods.put("failed_requests", "counted, left out of latency figures");
        methods.put("prefill_decode_time", "prefill = request start (not arrival) to first token; decode = first "
                + "token to end");
        methods.put("throughput_window", "per cycle, first process start to last process end; overall, the sum of "
                + "the cycles' windows");
        methods.put("energy_selection", EnergyAccounting.SELECTION_RULE);
        methods.put("energy_window", EnergyAccounting.WINDOW_RULE + "; throughput, energy per token and the "
                + "prefill/decode split all use that window");
        methods.put("energy_expected_error", "each figure's expected_error_joules is the source's own bound over its "
                + "window (NVML: the counter's steps located after each edge to a few ms, times the power there); "
                + "null where the source states none");
        methods.put("goodput", Goodput.RULE);
        methods.put("failed_request_tokens", "tokens of failed requests count towards neither throughput nor energy "
                + "per token");
        methods.put("energy_adjusted", "per device, max(0, raw - baseline mean power x window duration)");
        methods.put("phase_energy", PhaseEnergy.SCALED_POWER_SERIES + ": each counted device's power series "
                + "(trapezoids) scaled so that it integrates to the device's figure over the work window (a device "
                + "without a series at its mean power); " + PhaseEnergy.OVERLAP_RULE);
        methods.put("request_energy", "per request (requests[].energy_joules): its shares of every instant it was in "
                + "flight, under the same rule");
        methods.put("steady_state", "from the first instant the number of requests in flight reaches its highest to "
                + "the last instant it leaves it (no ramp-up, no drain), as the ML.ENERGY benchmark measures servers; "
                + "tokens arriving inside it, and the counted energy inside it from the same scaled series");
        methods.put("multi_process", "energy, tokens and FLOPs summed over processes; processes of a cycle checked "
                + "for overlap in time; a device reported by two processes counted once");
        methods.put("cycle_statistics", "mean, sample standard deviation (n-1), coefficient of variation, 95% "
                + "confidence interval mean +- t(0.975, n-1) s / sqrt(n) from the t distribution for every n >= 2");
        methods.put("incomplete_raw_files", "reported in raw_files, left out of every metric and statistic together "
                + "with the rest of their cycle");
        return methods;
    }

    /**
     * Aggregates one experiment directory.
     *
     * A folder without raw files (a run cut before its first cycle ended) gives a result with no metrics
     * and a warning saying so and why the run stopped; cycles the config planned but that have no raw file
     * make it incomplete with a warning naming them.
     *
     * @throws ResultsFileException when the raw folder is missing or a raw file cannot be read
     */
    public static AggregatedResult aggregate(Path experimentDir) {
        Path rawDir = experimentDir.resolve(ResultsDirectory.RAW_DIR);
        String experimentId = experimentDir.getFileName().toString();
        List<String> warnings = new ArrayList<>();
        TreeMap<Integer, List<RawResult>> byCycle = new TreeMap<>();
        Map<RawResult, String> paths = new java.util.IdentityHashMap<>();
        for (RawFile rawFile : rawFiles(rawDir)) {
            Path file = rawFile.file();
            RawResult raw = ResultsJson.read(file, RawResult.class);
            if (!RawResult.SCHEMA_VERSION.equals(raw.schemaVersion())) {
                throw new ResultsFileException(file, "has schema_version " + raw.schemaVersion()
                        + "; this version of lem reads schema_version " + RawResult.SCHEMA_VERSION);
            }
            String relative = experimentDir.relativize(file).toString().replace('\\', '/');
            if (raw.cycle() != rawFile.cycle() || raw.process() != rawFile.process()) {
                warnings.add(relative + " holds cycle " + raw.cycle() + " process " + raw.process()
                        + "; its content is used");
            }
            if (!raw.experimentId().equals(experimentId)) {
                warnings.add(relative + " belongs to experiment " + raw.experimentId() + ", not " + experimentId);
            }
            paths.put(raw, relative);
            byCycle.computeIfAbsent(raw.cycle(), c -> new ArrayList<>()).add(raw);
        }
        ExperimentStatus status = status(experimentDir, warnings);
        String name = status == null ? experimentId : status.name();
        JsonNode storedConfig = storedConfig(experimentDir, warnings);
        if (byCycle.isEmpty()) {
            // a run cut before its first cycle ended: the result says so instead of failing
            warnings.add("nothing was measured: " + experimentDir.relativize(rawDir) + " holds no raw result"
                    + " (raw/cycle_<c>/process_<n>.json)" + stopReason(status));
            return new AggregatedResult(RawResult.SCHEMA_VERSION, experimentId, name, false, 0, 0, null, null,
                    methods(), List.of(), List.of(), null, List.of(), List.of(), warnings, unmetered(storedConfig), null);
        }
        int processesPerCycle = byCycle.values().stream().mapToInt(List::size).max().orElse(0);

        List<RawFileEntry> entries = new ArrayList<>();
        List<CycleInput> included = new ArrayList<>();
        boolean complete = true;
        for (Map.Entry<Integer, List<RawResult>> cycle : byCycle.entrySet()) {
            List<RawResult> raws = cycle.getValue();
            raws.sort(java.util.Comparator.comparingInt(RawResult::process));
            String exclusion = "";
            if (raws.stream().anyMatch(r -> !r.complete())) {
                exclusion = "cycle " + cycle.getKey() + " has an incomplete process";
            } else if (raws.size() < processesPerCycle) {
                exclusion = "cycle " + cycle.getKey() + " has " + raws.size() + " of " + processesPerCycle
                        + " processes";
            }
            for (RawResult raw : raws) {
                boolean in = exclusion.isEmpty();
                entries.add(new RawFileEntry(raw.cycle(), raw.process(), paths.get(raw), raw.complete(),
                        raw.incompleteReason(), in, exclusion));
                if (!raw.complete()) {
                    warnings.add("cycle " + raw.cycle() + " process " + raw.process() + " is incomplete ("
                            + raw.incompleteReason() + "): reported, left out of every metric and statistic");
                }
            }
            if (!exclusion.isEmpty()) {
                complete = false;
                warnings.add(exclusion + ": the cycle is left out of every metric and statistic");
                continue;
            }
            included.add(new CycleInput(cycle.getKey(), raws, powerSeries(experimentDir, raws, warnings)));
        }

        int planned = plannedCycles(storedConfig, warnings);
        List<Integer> missing = new ArrayList<>();
        for (int c = 1; c <= planned; c++) {
            if (!byCycle.containsKey(c)) {
                missing.add(c);
            }
        }
        if (!missing.isEmpty()) {
            complete = false;
            warnings.add((missing.size() == 1 ? "cycle " : "cycles ") + ranges(missing) + " of " + planned + " planned "
                    + (missing.size() == 1 ? "has" : "have") + " no raw file: the run ended before "
                    + (missing.size() == 1 ? "it" : "them") + stopReason(status));
        }
        List<CycleResult> cycles = new ArrayList<>();
        for (CycleInput cycle : included) {
            cycles.add(MetricsCalculator.cycle(cycle));
        }
        WorkloadMetrics overall = included.isEmpty() ? null : MetricsCalculator.compute(included);
        if (included.isEmpty()) {
            warnings.add("no cycle is complete: there are no metrics, only the list of raw files");
        }
        List<MetricStatistics> statistics = new ArrayList<>();
        for (HeadlineMetric metric : HeadlineMetric.values()) {
            List<Double> values = new ArrayList<>();
            for (CycleResult cycle : cycles) {
                Double value = metric.valueOf(cycle.metrics());
                if (value != null) {
                    values.add(value);
                }
            }
            if (!values.isEmpty()) {
                statistics.add(MetricStatistics.of(metric.key(), metric.unit(), values));
            }
        }
        if (overall != null) {
            warnings.addAll(overall.warnings());
        }
        RawResult first = byCycle.firstEntry().getValue().get(0);
        Goodput goodput = Goodput.of(objectives(storedConfig),
                cycles.stream().flatMap(c -> c.requests().stream()).toList(), overall == null ? 0 : overall.windowNanos());
        QualityResult quality = quality(experimentDir, warnings);
        return new AggregatedResult(RawResult.SCHEMA_VERSION, experimentId, name, complete,
                included.size(), processesPerCycle, first.backend(), first.model(), methods(), entries, cycles, overall,
                statistics, first.flopsChain(), List.copyOf(new java.util.LinkedHashSet<>(warnings)),
                unmetered(storedConfig), goodput, quality);
    }

    /** {@link QualityResult#FILE}, or null when the run scored nothing; unreadable: null with a warning. */
    private static QualityResult quality(Path experimentDir, List<String> warnings) {
        Path file = experimentDir.resolve(QualityResult.FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return ResultsJson.read(file, QualityResult.class);
        } catch (ResultsFileException e) {
            warnings.add(e.getMessage() + "; no quality figures");
            return null;
        }
    }

    /** The experiment's stored config (config.json's {@code config}), or a missing node when there is none. */
    private static JsonNode storedConfig(Path experimentDir, List<String> warnings) {
        Path config = experimentDir.resolve(ResultsDirectory.CONFIG_FILE);
        if (!Files.isRegularFile(config)) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
        try {
            return ResultsJson.mapper().readTree(config.toFile()).path("config");
        } catch (IOException e) {
            warnings.add(ResultsDirectory.CONFIG_FILE + " could not be read (" + e.getMessage()
                    + "): missing cycles go unseen, no goodput, and the run is taken as metered");
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
    }

    /** The {@code slo} objectives of a stored config, ms by name. */
    private static Map<String, Double> objectives(JsonNode config) {
        Map<String, Double> objectives = new TreeMap<>();
        config.path("slo").fields().forEachRemaining(e -> {
            if (e.getValue().isNumber()) {
                objectives.put(e.getKey(), e.getValue().asDouble());
            }
        });
        return objectives;
    }

    /** Whether a stored config asked for no energy source: {@code energy.sources: none}. */
    static boolean unmetered(JsonNode config) {
        return "none".equals(config.path("energy").path("sources").asText());
    }

    /** status.json, or null with a warning when it is missing or unreadable: the raw files are aggregated anyway. */
    private static ExperimentStatus status(Path experimentDir, List<String> warnings) {
        Path file = experimentDir.resolve(ResultsDirectory.STATUS_FILE);
        if (!Files.isRegularFile(file)) {
            warnings.add(ResultsDirectory.STATUS_FILE + " is missing: the experiment is named by its id");
            return null;
        }
        try {
            return ResultsJson.read(file, ExperimentStatus.class);
        } catch (ResultsFileException e) {
            warnings.add(e.getMessage() + "; the experiment is named by its id");
            return null;
        }
    }

    /** Ascending numbers as ranges: 2, 4-7, 9. */
    static String ranges(List<Integer> ascending) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < ascending.size(); i++) {
            int first = ascending.get(i);
            while (i + 1 < ascending.size() && ascending.get(i + 1) == ascending.get(i) + 1) {
                i++;
            }
            text.append(text.length() == 0 ? "" : ", ").append(first)
                    .append(ascending.get(i) == first ? "" : "-" + ascending.get(i));
        }
        return text.toString();
    }

    /** Why the run stopped, as its status says it (", reason" or nothing). */
    private static String stopReason(ExperimentStatus status) {
        if (status == null) {
            return "";
        }
        if (RunningProcess.isGone(status)) {
            return "; " + RunningProcess.deathReason(status);
        }
        return switch (status.state()) {
        case INCOMPLETE -> "; the run stopped: " + status.reason();
        case RUNNING -> "; the run is still going";
        default -> "";
        };
    }

    /**
     * {@code cycles} of the stored config, or 0 when there is none (raw files copied alone, or a
     * config.json that could not be read: a warning says so), since missing cycles then go unseen.
     */
    private static int plannedCycles(JsonNode config, List<String> warnings) {
        if (config.isMissingNode()) {
            return 0;
        }
        JsonNode cycles = config.path("cycles");
        if (cycles.canConvertToInt() && cycles.intValue() > 0) {
            return cycles.intValue();
        }
        warnings.add(ResultsDirectory.CONFIG_FILE + " has no config.cycles: missing cycles cannot be detected");
        return 0;
    }

    private static Map<Integer, List<PowerSeriesPoint>> powerSeries(Path experimentDir, List<RawResult> raws,
            List<String> warnings) {
        Map<Integer, List<PowerSeriesPoint>> series = new TreeMap<>();
        for (RawResult raw : raws) {
            if (raw.powerSeriesFile() == null || raw.powerSeriesFile().isBlank()) {
                continue;
            }
            Path file = experimentDir.resolve(raw.powerSeriesFile()).normalize();
            if (!file.startsWith(experimentDir.normalize())) {
                warnings.add("cycle " + raw.cycle() + " process " + raw.process() + ": power series " + raw.powerSeriesFile()
                        + " lies outside the experiment directory; ignored");
            } else if (!Files.isRegularFile(file)) {
                warnings.add("cycle " + raw.cycle() + " process " + raw.process() + ": power series "
                        + raw.powerSeriesFile() + " is missing");
            } else {
                series.put(raw.process(), PowerSeriesFile.read(file));
            }
        }
        return series;
    }

    /** A raw file with the cycle and process its path names. */
    private record RawFile(Path file, int cycle, int process) {
    }

    /** Every {@code raw/cycle_<c>/process_<n>.json}, by cycle then process as their names give them. */
    private static List<RawFile> rawFiles(Path rawDir) {
        if (!Files.isDirectory(rawDir)) {
            throw new ResultsFileException(rawDir, "does not exist: the experiment has no raw results to aggregate");
        }
        List<RawFile> files = new ArrayList<>();
        try (Stream<Path> cycles = Files.list(rawDir)) {
            for (Path cycleDir : cycles.filter(Files::isDirectory).toList()) {
                Matcher cycle = CYCLE_DIR.matcher(cycleDir.getFileName().toString());
                if (!cycle.matches()) {
                    continue;
                }
                try (Stream<Path> processes = Files.list(cycleDir)) {
                    for (Path file : processes.toList()) {
                        Matcher process = PROCESS_FILE.matcher(file.getFileName().toString());
                        if (process.matches()) {
                            files.add(new RawFile(file, Integer.parseInt(cycle.group(1)),
                                    Integer.parseInt(process.group(1))));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new ResultsFileException(rawDir, "cannot be listed: " + e.getMessage(), e);
        }
        files.sort(java.util.Comparator.comparingInt(RawFile::cycle).thenComparingInt(RawFile::process));
        return files;
    }
}
