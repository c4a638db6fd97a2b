package lem.runtime.results;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

/**
 * The tidy table of a results folder: one row per experiment ({@code experiments_tidy.csv}) and one
 * per experiment and cycle ({@code experiments_cycles_tidy.csv}), each with the resolved config
 * flattened into named columns, then every metric with its unit at the end of its name, then the
 * statistics across cycles named for what they are ({@code <metric>_cycle_mean_ci95_low}). Every
 * row has every column (empty where an experiment lacks the figure), so pandas, polars and DuckDB
 * read the files with no options.
 *
 * <p>It reads the files on disk alone ({@code config.json}, {@code result.json} as a JSON tree,
 * {@code environment.json}, {@code status.json}, {@code emissions.csv}), so it works on results
 * copied from any host, and fields added to {@code result.json} later do not break it.
 */
public final class TidyTable {
    public static final String EXPERIMENTS_FILE = "experiments_tidy.csv";
    public static final String CYCLES_FILE = "experiments_cycles_tidy.csv";
    public static final String EXPERIMENTS_PARQUET = "experiments_tidy.parquet";
    public static final String CYCLES_PARQUET = "experiments_cycles_tidy.parquet";
    private static final Object LOCK = new Object();

    private TidyTable() {
    }

    /** A column of config or context: its name and how it is read from an experiment's files. */
    private record Column(String name, Function<ExperimentFiles, String> value) {
    }

    /**
     * A metric: its column (unit last), its unit, where it is in a {@code WorkloadMetrics} JSON
     * tree, and the key of its statistics across cycles in {@code result.json}, or null.
     */
    public record Metric(String column, String unit, Function<JsonNode, JsonNode> reader, String statisticKey) {
        /** The metric's value in one {@code overall} or {@code cycles[i].metrics} tree, or null. */
        public Double valueIn(JsonNode metrics) {
            if (metrics == null || metrics.isMissingNode() || metrics.isNull()) {
                return null;
            }
            JsonNode node = reader.apply(metrics);
            return node == null || !node.isNumber() ? null : node.asDouble();
        }
    }

    private static Metric metric(String column, String unit, String pointer, String statistic) {
        return new Metric(column, unit, m -> m.at(pointer), statistic);
    }

    /** Energy figures only when some source measured: with none, 0 J would read as a measurement. */
    private static Metric energy(String column, String pointer, String statistic) {
        return new Metric(column, "J", m -> m.at("/energy/sources_used").size() == 0 ? MissingNode.getInstance() : m.at(pointer),
                statistic);
    }

    /** Every metric of the table, in column order. */
    public static final List<Metric> METRICS = List.of(
            metric("output_tokens_per_s", "tokens/s", "/output_tokens_per_second", "output_tokens_per_s"),
            metric("total_tokens_per_s", "tokens/s", "/total_tokens_per_second", "total_tokens_per_s"),
            metric("requests_per_s", "requests/s", "/requests_per_second", "requests_per_s"),
            energy("energy_j", "/energy/raw_joules", "energy_raw_j"),
            energy("energy_adjusted_j", "/energy/adjusted_joules", "energy_adjusted_j"),
            metric("prefill_energy_j", "J", "/phase_energy/prefill_joules", null),
            metric("decode_energy_j", "J", "/phase_energy/decode_joules", null),
            metric("j_per_output_token", "J/token", "/joules_per_output_token", "j_per_output_token"),
            metric("j_per_token", "J/token", "/joules_per_token", "j_per_token"),
            metric("adjusted_j_per_output_token", "J/token", "/adjusted_joules_per_output_token", "adjusted_j_per_output_token"),
            metric("output_tokens_per_j", "tokens/J", "/output_tokens_per_joule", null),
            metric("tokens_per_j", "tokens/J", "/tokens_per_joule", null),
            metric("ttft_mean_ms", "ms", "/latency/ttft_ms/mean", "ttft_mean_ms"),
            metric("ttft_p50_ms", "ms", "/latency/ttft_ms/median", "ttft_p50_ms"),
            metric("ttft_p90_ms", "ms", "/latency/ttft_ms/p90", null),
            metric("ttft_p99_ms", "ms", "/latency/ttft_ms/p99", "ttft_p99_ms"),
            metric("itl_mean_ms", "ms", "/latency/itl_raw_ms/mean", "itl_mean_ms"),
            metric("itl_p50_ms", "ms", "/latency/itl_raw_ms/median", null),
            metric("itl_p99_ms", "ms", "/latency/itl_raw_ms/p99", null),
            metric("itl_trimmed_mean_ms", "ms", "/latency/itl_trimmed_ms/mean", "itl_trimmed_mean_ms"),
            metric("tpot_mean_ms", "ms", "/latency/tpot_ms/mean", "tpot_mean_ms"),
            metric("tpot_p99_ms", "ms", "/latency/tpot_ms/p99", null),
            metric("e2e_mean_ms", "ms", "/latency/e2e_ms/mean", "e2e_mean_ms"),
            metric("e2e_p50_ms", "ms", "/latency/e2e_ms/median", null),
            metric("e2e_p99_ms", "ms", "/latency/e2e_ms/p99", "e2e_p99_ms"),
            metric("total_flop", "FLOP", "/flops/total_flops", null),
            metric("flop_per_j", "FLOP/J", "/flops/flops_per_joule", "flop_per_j"),
            metric("flop_per_output_token", "FLOP/token", "/flops/flops_per_output_token", null),
            new Metric("peak_device_memory_mib", "MiB", m -> {
                JsonNode bytes = m.at("/peak_device_memory_bytes");
                return bytes.isNumber() && bytes.asLong() >= 0
                        ? com.fasterxml.jackson.databind.node.DoubleNode.valueOf(bytes.asLong() / 1048576.0)
                        : MissingNode.getInstance();
            }, null));

    /** The suffixes of the statistics columns of a metric that has statistics across cycles. */
    public static final List<String> STATISTIC_SUFFIXES = List.of("_cycle_mean", "_cycle_sd", "_cycle_mean_ci95_low",
            "_cycle_mean_ci95_high", "_cycle_geomean", "_cycle_geomean_ci95_low", "_cycle_geomean_ci95_high", "_cycles_n");

    /** The files of one experiment, read once; a missing or unreadable file is a missing node. */
    public static final class ExperimentFiles {
        final String id;
        final JsonNode status;
        final JsonNode config;
        final JsonNode result;
        final JsonNode environment;
        final List<Map<String, String>> emissions;
        CampaignRun campaign;

        ExperimentFiles(Path dir) {
            id = dir.getFileName().toString();
            status = tree(dir.resolve(ResultsDirectory.STATUS_FILE));
            JsonNode configFile = tree(dir.resolve(ResultsDirectory.CONFIG_FILE));
            config = configFile.has("config") ? configFile.get("config") : configFile;
            result = tree(dir.resolve(ResultsDirectory.RESULT_FILE));
            environment = tree(dir.resolve("environment.json"));
            emissions = emissionsRows(dir.resolve("emissions.csv"));
        }

        /** The resolved config as a tree ({@code config.json}'s {@code config}), or a missing node. */
        public JsonNode config() {
            return config;
        }

        /** {@code result.json} as a tree, or a missing node. */
        public JsonNode result() {
            return result;
        }

        public String id() {
            return id;
        }
    }

    /** Reads an experiment's files for the table and for analysis. */
    public static ExperimentFiles read(Path experimentDirectory) {
        return new ExperimentFiles(experimentDirectory);
    }

    /** Reads an experiment's files and finds the campaign run that made it, if any. */
    static ExperimentFiles read(Path experimentDirectory, Map<String, CampaignRun> campaignRuns) {
        ExperimentFiles files = new ExperimentFiles(experimentDirectory);
        files.campaign = campaignRuns.get(files.id);
        return files;
    }

    /**
     * The campaign run that made an experiment, from {@code campaigns/<id>/plan.json} and
     * {@code runs/run_<i>.json} (its latest attempt).
     *
     * @param campaignId   the campaign's folder name
     * @param campaignName the campaign's name
     * @param cycle        the campaign cycle (1-based)
     * @param varied       key path to varied value, as the plan has it
     */
    public record CampaignRun(String campaignId, String campaignName, int cycle, Map<String, String> varied) {
    }

    /** Experiment id to the campaign run that made it, over every campaign under the results roots. */
    public static Map<String, CampaignRun> campaignRuns(java.util.Collection<Path> resultsRoots) {
        Map<String, CampaignRun> runs = new java.util.HashMap<>();
        for (Path root : resultsRoots) {
            Path campaigns = root.resolve("campaigns");
            if (!Files.isDirectory(campaigns)) {
                continue;
            }
            try (Stream<Path> folders = Files.list(campaigns)) {
                for (Path folder : folders.sorted().toList()) {
                    addCampaignRuns(folder, runs);
                }
            } catch (IOException e) {
                // an unreadable campaigns folder leaves the campaign columns empty; the table is still written
            }
        }
        return runs;
    }

    private static void addCampaignRuns(Path folder, Map<String, CampaignRun> runs) throws IOException {
        JsonNode plan = tree(folder.resolve("plan.json"));
        Path records = folder.resolve("runs");
        if (plan.isMissingNode() || !Files.isDirectory(records)) {
            return;
        }
        String campaignId = first(text(plan.at("/campaign_id")), folder.getFileName().toString());
        try (Stream<Path> files = Files.list(records)) {
            for (Path file : files.filter(f -> f.getFileName().toString().matches("run_\\d+\\.json")).sorted().toList()) {
                JsonNode record = tree(file);
                String experimentId = text(record.at("/experiment_id"));
                if (experimentId.isEmpty()) {
                    continue;
                }
                JsonNode planned = MissingNode.getInstance();
                for (JsonNode run : plan.at("/runs")) {
                    if (run.at("/index").asInt(-1) == record.at("/index").asInt(-2)) {
                        planned = run;
                    }
                }
                Map<String, String> varied = new LinkedHashMap<>();
                for (JsonNode experiment : plan.at("/experiments")) {
                    if (planned.has("experiment") && experiment.at("/index").asInt(-1) == planned.at("/experiment").asInt()) {
                        experiment.at("/varied").fields().forEachRemaining(e -> varied.put(e.getKey(), text(e.getValue())));
                    }
                }
                runs.put(experimentId, new CampaignRun(campaignId, text(plan.at("/name")), record.at("/cycle").asInt(), varied));
            }
        }
    }

    /** The varied key paths of the given campaign runs, sorted. */
    public static List<String> variedKeys(java.util.Collection<CampaignRun> runs) {
        Set<String> keys = new TreeSet<>();
        runs.forEach(r -> keys.addAll(r.varied().keySet()));
        return List.copyOf(keys);
    }

    /** The column of a varied key path: {@code batching.batch_size} is {@code varied_batching_batch_size}. */
    public static String variedColumn(String keyPath) {
        String snake = keyPath.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT)
                .replaceAll("[^a-z0-9]+", "_").replaceAll("^_+|_+$", "");
        return "varied_" + snake;
    }

    /** The campaign columns and one per varied key, in header order; all empty for an experiment no campaign made. */
    private static List<String> campaignCells(ExperimentFiles f, List<String> variedKeys) {
        List<String> cells = new ArrayList<>();
        CampaignRun run = f.campaign;
        cells.add(run == null ? "" : run.campaignId());
        cells.add(run == null ? "" : run.campaignName());
        cells.add(run == null ? "" : Integer.toString(run.cycle()));
        for (String key : variedKeys) {
            cells.add(run == null ? "" : run.varied().getOrDefault(key, ""));
        }
        return cells;
    }

    private static List<String> campaignHeader(List<String> variedKeys) {
        List<String> header = new ArrayList<>(List.of("campaign_id", "campaign_name", "campaign_cycle"));
        variedKeys.forEach(k -> header.add(variedColumn(k)));
        return header;
    }

    private static JsonNode tree(Path file) {
        if (!Files.isRegularFile(file)) {
            return MissingNode.getInstance();
        }
        try {
            return ResultsJson.mapper().readTree(file.toFile());
        } catch (IOException | RuntimeException e) {
            return MissingNode.getInstance();
        }
    }

    private static List<Map<String, String>> emissionsRows(Path csv) {
        if (!Files.isRegularFile(csv)) {
            return List.of();
        }
        try {
            List<String> records = CsvText.records(Files.readString(csv, StandardCharsets.UTF_8));
            if (records.isEmpty()) {
                return List.of();
            }
            List<String> header = CsvText.split(records.get(0));
            List<Map<String, String>> rows = new ArrayList<>();
            for (String record : records.subList(1, records.size())) {
                List<String> cells = CsvText.split(record);
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 0; i < header.size() && i < cells.size(); i++) {
                    row.put(header.get(i), cells.get(i));
                }
                rows.add(row);
            }
            return rows;
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static final List<Column> CONFIG_COLUMNS = List.of(
            new Column("experiment_id", f -> f.id),
            new Column("name", f -> first(text(f.status.at("/name")), text(f.result.at("/name")), text(f.config.at("/name")))),
            new Column("status", f -> text(f.status.at("/state")).toLowerCase(java.util.Locale.ROOT)),
            new Column("reason", f -> text(f.status.at("/reason"))),
            new Column("started_utc", f -> f.status.at("/started_epoch_millis").isNumber()
                    ? Instant.ofEpochMilli(f.status.at("/started_epoch_millis").asLong()).toString() : ""),
            new Column("complete", f -> text(f.result.at("/complete"))),
            new Column("model_name", f -> first(text(f.config.at("/model/name")), text(f.result.at("/model/name")))),
            new Column("model_source", f -> text(f.config.at("/model/source"))),
            new Column("model_path", f -> text(f.config.at("/model/path"))),
            new Column("model_architecture", f -> text(f.result.at("/model/architecture"))),
            new Column("model_parameters", f -> text(f.result.at("/model/parameter_count"))),
            new Column("backend_name", f -> first(text(f.result.at("/backend/name")), text(f.config.at("/backend/name")))),
            new Column("backend_engine", f -> text(f.result.at("/backend/engine"))),
            new Column("backend_version", f -> text(f.result.at("/backend/bundle_version"))),
            new Column("device", f -> text(f.config.at("/backend/device"))),
            new Column("gpu_name", f -> gpuNames(f.environment)),
            new Column("precision", f -> first(text(f.config.at("/precision")), text(f.result.at("/model/weight_precision")))),
            new Column("quantisation", f -> first(text(f.config.at("/quantisation")), text(f.result.at("/model/quantisation")))),
            new Column("batching_strategy", f -> text(f.config.at("/batching/strategy"))),
            new Column("batch_size", f -> text(f.config.at("/batching/batch_size"))),
            new Column("traffic_pattern", f -> text(f.config.at("/traffic/pattern"))),
            new Column("traffic_rate_qps", f -> text(f.config.at("/traffic/target_qps"))),
            new Column("prompt_source", f -> text(f.config.at("/prompts/source"))),
            new Column("prompt_count", f -> text(f.config.at("/prompts/count"))),
            new Column("prompt_input_tokens", f -> text(f.config.at("/prompts/synthetic/input_tokens"))),
            new Column("prompt_input_tokens_max", f -> text(f.config.at("/prompts/synthetic/input_tokens_max"))),
            new Column("min_new_tokens", f -> text(f.config.at("/decoder/min_new_tokens"))),
            new Column("max_new_tokens", f -> text(f.config.at("/decoder/max_new_tokens"))),
            new Column("decoder_preset", f -> text(f.config.at("/decoder/preset"))),
            new Column("decoder_temperature", f -> text(f.config.at("/decoder/temperature"))),
            new Column("decoder_top_p", f -> text(f.config.at("/decoder/top_p"))),
            new Column("decoder_top_k", f -> text(f.config.at("/decoder/top_k"))),
            new Column("carbon_country", f -> text(f.config.at("/carbon/country"))),
            new Column("cycles", f -> text(f.config.at("/cycles"))),
            new Column("cycles_measured", f -> text(f.result.at("/cycles_measured"))),
            new Column("processes_per_cycle", f -> text(f.result.at("/processes_per_cycle"))),
            new Column("energy_sources", f -> joined(f.result.at("/overall/energy/sources_used"))),
            new Column("energy_includes_estimates", f -> text(f.result.at("/overall/energy/includes_estimates"))),
            new Column("warnings_count", f -> f.result.at("/warnings").isArray() ? Integer.toString(f.result.at("/warnings").size()) : ""));

    /** Perplexity of the evaluation text and of the model's own outputs: the experiment table's last columns. */
    private static final List<String> QUALITY_COLUMNS = List.of("perplexity_eval", "perplexity_generated");

    /** Counts of one set of metrics: in the table after the config columns. */
    private static final List<String> COUNT_COLUMNS = List.of("requests", "failed_requests", "input_tokens", "output_tokens",
            "mean_input_tokens_per_request", "mean_output_tokens_per_request", "window_s");

    private static List<String> counts(JsonNode metrics) {
        JsonNode requests = metrics.at("/requests");
        JsonNode inputTokens = metrics.at("/input_tokens");
        JsonNode outputTokens = metrics.at("/output_tokens");
        long n = requests.isNumber() ? requests.asLong() : 0;
        return List.of(text(requests), text(metrics.at("/failed_requests")), text(inputTokens), text(outputTokens),
                n > 0 && inputTokens.isNumber() ? number(inputTokens.asDouble() / n) : "",
                n > 0 && outputTokens.isNumber() ? number(outputTokens.asDouble() / n) : "",
                metrics.at("/window_nanos").isNumber() ? number(metrics.at("/window_nanos").asDouble() / 1e9) : "");
    }

    /** The columns both tables begin with: the config, then the campaign and its varied keys. */
    private static List<String> configAndCampaignHeader(List<String> variedKeys) {
        List<String> header = new ArrayList<>();
        CONFIG_COLUMNS.forEach(c -> header.add(c.name()));
        header.addAll(campaignHeader(variedKeys));
        return header;
    }

    /** The header of the experiment table with no campaign's varied keys. */
    public static List<String> experimentHeader() {
        return experimentHeader(List.of());
    }

    /** The header of the experiment table with a column for each varied key. */
    public static List<String> experimentHeader(List<String> variedKeys) {
        List<String> header = configAndCampaignHeader(variedKeys);
        header.addAll(COUNT_COLUMNS);
        METRICS.forEach(m -> header.add(m.column()));
        header.addAll(List.of("co2_g", "carbon_intensity_g_per_kwh", "carbon_intensity_source"));
        for (Metric m : METRICS) {
            if (m.statisticKey() != null) {
                STATISTIC_SUFFIXES.forEach(suffix -> header.add(m.column() + suffix));
            }
        }
        header.addAll(QUALITY_COLUMNS);
        return header;
    }

    /** The header of the cycle table: the experiment's config columns, the cycle, its counts and metrics. */
    public static List<String> cycleHeader() {
        return cycleHeader(List.of());
    }

    /** The header of the cycle table with a column for each varied key. */
    public static List<String> cycleHeader(List<String> variedKeys) {
        List<String> header = configAndCampaignHeader(variedKeys);
        header.add("cycle");
        header.addAll(COUNT_COLUMNS);
        METRICS.forEach(m -> header.add(m.column()));
        header.addAll(List.of("co2_g", "cycle_warnings_count"));
        return header;
    }

    /** The experiment's row, in {@link #experimentHeader(List)} order. */
    public static List<String> experimentRow(ExperimentFiles f, List<String> variedKeys) {
        List<String> row = new ArrayList<>();
        CONFIG_COLUMNS.forEach(c -> row.add(c.value().apply(f)));
        row.addAll(campaignCells(f, variedKeys));
        JsonNode overall = f.result.at("/overall");
        row.addAll(counts(overall));
        METRICS.forEach(m -> row.add(number(m.valueIn(overall))));
        row.add(number(co2Grams(f, overall, null)));
        row.add(number(carbonIntensity(f)));
        row.add(first(text(overall.at("/carbon/carbon_intensity_source")), f.emissions.isEmpty() ? "" : "emissions.csv"));
        for (Metric m : METRICS) {
            if (m.statisticKey() != null) {
                JsonNode s = statistic(f.result, m.statisticKey());
                row.add(text(s.at("/mean")));
                row.add(text(s.at("/std_dev")));
                row.add(text(s.at("/ci_low")));
                row.add(text(s.at("/ci_high")));
                // the geometric mean and its log-scale interval, where result.json has them
                row.add(text(s.at("/geometric_mean")));
                row.add(text(s.at("/log_ci_low")));
                row.add(text(s.at("/log_ci_high")));
                row.add(text(s.at("/n")));
            }
        }
        // perplexity, scored once per experiment after its cycles (quality in result.json)
        row.add(text(f.result.at("/quality/eval_text/perplexity")));
        row.add(text(f.result.at("/quality/generated/perplexity")));
        return row;
    }

    /** One row per cycle of the experiment, in {@link #cycleHeader(List)} order; none when it was never aggregated. */
    public static List<List<String>> cycleRows(ExperimentFiles f, List<String> variedKeys) {
        List<String> config = new ArrayList<>();
        CONFIG_COLUMNS.forEach(c -> config.add(c.value().apply(f)));
        config.addAll(campaignCells(f, variedKeys));
        List<List<String>> rows = new ArrayList<>();
        JsonNode cycles = f.result.at("/cycles");
        for (int i = 0; i < cycles.size(); i++) {
            JsonNode cycle = cycles.get(i);
            JsonNode metrics = cycle.at("/metrics");
            List<String> row = new ArrayList<>(config);
            row.add(text(cycle.at("/cycle")));
            row.addAll(counts(metrics));
            METRICS.forEach(m -> row.add(number(m.valueIn(metrics))));
            row.add(number(co2Grams(f, metrics, cycles.size() == f.emissions.size() ? i : -1)));
            row.add(metrics.at("/warnings").isArray() ? Integer.toString(metrics.at("/warnings").size()) : "");
            rows.add(row);
        }
        return rows;
    }

    /** The statistics of one metric across cycles in {@code result.json}, or a missing node. */
    public static JsonNode statistic(JsonNode result, String key) {
        for (JsonNode s : result.at("/statistics")) {
            if (key.equals(s.at("/metric").asText())) {
                return s;
            }
        }
        return MissingNode.getInstance();
    }

    /**
     * CO2 in grams: a {@code co2_g} figure in the metrics when {@code result.json} has one, else
     * from {@code emissions.csv} (kg, CodeCarbon's unit): the sum of its rows for the experiment,
     * or the cycle's row when there is one row per cycle.
     */
    private static Double co2Grams(ExperimentFiles f, JsonNode metrics, Integer cycleIndex) {
        JsonNode stored = metrics.findValue("co2_g");
        if (stored != null && stored.isNumber()) {
            return stored.asDouble();
        }
        if (f.emissions.isEmpty() || (cycleIndex != null && cycleIndex < 0)) {
            return null;
        }
        List<Map<String, String>> rows = cycleIndex == null ? f.emissions : List.of(f.emissions.get(cycleIndex));
        double kilograms = 0;
        for (Map<String, String> row : rows) {
            Double value = parse(row.get("emissions"));
            if (value == null) {
                return null;
            }
            kilograms += value;
        }
        return kilograms * 1000;
    }

    /** Grid intensity in g/kWh: the one in {@code result.json}, else emissions over energy in {@code emissions.csv}, or null. */
    private static Double carbonIntensity(ExperimentFiles f) {
        JsonNode stored = f.result.at("/overall/carbon/carbon_intensity_g_per_kwh");
        if (stored.isNumber()) {
            return stored.asDouble();
        }
        double kilograms = 0;
        double kilowattHours = 0;
        for (Map<String, String> row : f.emissions) {
            Double emissions = parse(row.get("emissions"));
            Double energy = parse(row.get("energy_consumed"));
            if (emissions == null || energy == null) {
                return null;
            }
            kilograms += emissions;
            kilowattHours += energy;
        }
        return kilowattHours > 0 ? kilograms * 1000 / kilowattHours : null;
    }

    private static Double parse(String text) {
        try {
            return text == null || text.isBlank() ? null : Double.valueOf(text.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Names of the GPUs the energy sources saw, distinct, joined with " + "; empty when none. */
    private static String gpuNames(JsonNode environment) {
        Set<String> names = new TreeSet<>();
        for (JsonNode source : environment.at("/energy_sources")) {
            for (JsonNode device : source.at("/devices")) {
                if ("GPU".equals(device.at("/domain").asText()) && !device.at("/name").asText().isBlank()) {
                    names.add(device.at("/name").asText());
                }
            }
        }
        return String.join(" + ", names);
    }

    private static String first(String... values) {
        for (String value : values) {
            if (!value.isEmpty()) {
                return value;
            }
        }
        return "";
    }

    private static String joined(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return String.join(" ", values);
    }

    /** A JSON value as a cell: numbers in full, text as is, null and missing empty. */
    static String text(JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull() || node.isContainerNode()) {
            return "";
        }
        if (node.isFloatingPointNumber()) {
            return number(node.asDouble());
        }
        return node.asText();
    }

    /** A number as a cell: empty for null, NaN or infinity; the shortest text that reads back the same. */
    static String number(Double value) {
        if (value == null || value.isNaN() || value.isInfinite()) {
            return "";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString(value.longValue());
        }
        return value.toString();
    }

    /** The experiment directories under a results root, by id (those with a status.json or a raw folder). */
    public static List<Path> experimentDirectories(Path resultsRoot) throws IOException {
        if (!Files.isDirectory(resultsRoot)) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(resultsRoot)) {
            return children.filter(Files::isDirectory)
                    .filter(dir -> Files.isRegularFile(dir.resolve(ResultsDirectory.STATUS_FILE))
                            || Files.isDirectory(dir.resolve(ResultsDirectory.RAW_DIR)))
                    .sorted().toList();
        }
    }

    /** The results roots (parent folders) of the given experiment directories. */
    private static Set<Path> roots(List<Path> experiments) {
        Set<Path> roots = new java.util.LinkedHashSet<>();
        experiments.forEach(dir -> roots.add(dir.toAbsolutePath().getParent()));
        return roots;
    }

    /**
     * Writes both tidy files (and their Parquet twins) from every experiment under the results root
     * when the experiment file is missing, so a query sees every experiment there.
     */
    public static void ensure(Path resultsRoot) throws IOException {
        synchronized (LOCK) {
            if (Files.isRegularFile(resultsRoot.resolve(EXPERIMENTS_FILE)) && Files.isRegularFile(resultsRoot.resolve(CYCLES_FILE))) {
                return;
            }
            List<Path> experiments = experimentDirectories(resultsRoot);
            AtomicFiles.write(resultsRoot.resolve(EXPERIMENTS_FILE), experimentsCsv(experiments).getBytes(StandardCharsets.UTF_8));
            AtomicFiles.write(resultsRoot.resolve(CYCLES_FILE), cyclesCsv(experiments).getBytes(StandardCharsets.UTF_8));
            refreshParquet(resultsRoot);
        }
    }

    /** CSV text of the experiment table over the given experiment directories. */
    public static String experimentsCsv(List<Path> experiments) {
        Map<String, CampaignRun> runs = campaignRuns(roots(experiments));
        List<ExperimentFiles> files = experiments.stream().map(dir -> read(dir, runs)).toList();
        List<String> keys = variedKeys(runs.values());
        StringBuilder text = new StringBuilder(CsvText.row(experimentHeader(keys))).append('\n');
        for (ExperimentFiles f : files) {
            text.append(CsvText.row(experimentRow(f, keys))).append('\n');
        }
        return text.toString();
    }

    /** CSV text of the cycle table over the given experiment directories. */
    public static String cyclesCsv(List<Path> experiments) {
        Map<String, CampaignRun> runs = campaignRuns(roots(experiments));
        List<ExperimentFiles> files = experiments.stream().map(dir -> read(dir, runs)).toList();
        List<String> keys = variedKeys(runs.values());
        StringBuilder text = new StringBuilder(CsvText.row(cycleHeader(keys))).append('\n');
        for (ExperimentFiles f : files) {
            cycleRows(f, keys).forEach(row -> text.append(CsvText.row(row)).append('\n'));
        }
        return text.toString();
    }

    /**
     * Puts one experiment's rows into {@code experiments_tidy.csv} and
     * {@code experiments_cycles_tidy.csv} under the results root: the other experiments' rows are
     * kept as they are (their files are not read again), rows stay in experiment id order, and a
     * file with another header (written by another version of lem) or none is rebuilt from every
     * experiment there. Written atomically under a file lock, so two runs finishing together leave
     * both files whole and current.
     */
    public static void refresh(Path resultsRoot, String experimentId) throws IOException {
        synchronized (LOCK) {
            Path lockFile = resultsRoot.resolve("." + EXPERIMENTS_FILE + ".lock");
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = channel.lock()) {
                // the varied keys of every campaign here, so the header is the one a rebuild would write
                Map<String, CampaignRun> runs = campaignRuns(List.of(resultsRoot));
                List<String> keys = variedKeys(runs.values());
                ExperimentFiles files = read(resultsRoot.resolve(experimentId), runs);
                upsert(resultsRoot, resultsRoot.resolve(EXPERIMENTS_FILE), experimentHeader(keys), experimentId,
                        List.of(experimentRow(files, keys)), TidyTable::experimentsCsv);
                upsert(resultsRoot, resultsRoot.resolve(CYCLES_FILE), cycleHeader(keys), experimentId, cycleRows(files, keys),
                        TidyTable::cyclesCsv);
                refreshParquet(resultsRoot);
            }
        }
    }

    /**
     * Writes the Parquet twins of the two CSV files with the SQL engine, when the lem.results.sql
     * bundle is there. Without it, or when writing fails, an older Parquet file is removed rather
     * than left out of date; the CSV files, written first, hold everything.
     */
    static void refreshParquet(Path resultsRoot) {
        for (String[] pair : new String[][] { { EXPERIMENTS_FILE, EXPERIMENTS_PARQUET }, { CYCLES_FILE, CYCLES_PARQUET } }) {
            Path parquet = resultsRoot.resolve(pair[1]);
            try {
                if (SqlEngine.current().isPresent()) {
                    SqlEngine.current().get().writeParquet(resultsRoot.resolve(pair[0]), parquet, COLUMN_TYPES);
                } else {
                    Files.deleteIfExists(parquet);
                }
            } catch (IOException | RuntimeException | LinkageError e) {
                // the Parquet twin is optional: an engine that fails, even to load, never fails a run
                try {
                    Files.deleteIfExists(parquet);
                } catch (IOException gone) {
                    // nothing more to do: the CSV file is current
                }
            }
        }
    }

    /**
     * SQL types of the columns that are always numbers (counts, metrics, CO2, statistics across
     * cycles), so a column empty in every row still reads as a number; config columns are typed
     * from their values by the engine.
     */
    public static final Map<String, String> COLUMN_TYPES = columnTypes();

    private static Map<String, String> columnTypes() {
        Map<String, String> types = new LinkedHashMap<>();
        for (String column : List.of("requests", "failed_requests", "input_tokens", "output_tokens", "warnings_count",
                "cycle_warnings_count", "cycle", "campaign_cycle")) {
            types.put(column, "BIGINT");
        }
        for (String column : List.of("mean_input_tokens_per_request", "mean_output_tokens_per_request", "window_s", "co2_g",
                "carbon_intensity_g_per_kwh")) {
            types.put(column, "DOUBLE");
        }
        for (Metric m : METRICS) {
            types.put(m.column(), "DOUBLE");
            if (m.statisticKey() != null) {
                STATISTIC_SUFFIXES.forEach(suffix -> types.put(m.column() + suffix, suffix.equals("_cycles_n") ? "BIGINT" : "DOUBLE"));
            }
        }
        return java.util.Collections.unmodifiableMap(types);
    }

    private static void upsert(Path resultsRoot, Path csv, List<String> header, String experimentId, List<List<String>> rows,
            Function<List<Path>, String> rebuild) throws IOException {
        List<String> records = Files.isRegularFile(csv) ? CsvText.records(Files.readString(csv, StandardCharsets.UTF_8)) : List.of();
        if (records.isEmpty() || !CsvText.split(records.get(0)).equals(header)) {
            AtomicFiles.write(csv, rebuild.apply(experimentDirectories(resultsRoot)).getBytes(StandardCharsets.UTF_8));
            return;
        }
        Map<String, List<String>> recordsById = new java.util.TreeMap<>();
        for (String record : records.subList(1, records.size())) {
            String id = CsvText.split(record).get(0);
            if (!id.equals(experimentId)) {
                recordsById.computeIfAbsent(id, k -> new ArrayList<>()).add(record);
            }
        }
        List<String> mine = new ArrayList<>();
        rows.forEach(row -> mine.add(CsvText.row(row)));
        recordsById.put(experimentId, mine);
        StringBuilder text = new StringBuilder(CsvText.row(header)).append('\n');
        recordsById.values().forEach(list -> list.forEach(record -> text.append(record).append('\n')));
        AtomicFiles.write(csv, text.toString().getBytes(StandardCharsets.UTF_8));
    }
}
