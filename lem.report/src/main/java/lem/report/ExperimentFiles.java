package lem.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One experiment's folder as the report needs it, read from the files on disk alone
 * ({@code status.json}, {@code result.json}, {@code environment.json}, {@code raw/}, {@code timeseries/}),
 * as JSON trees, so it works on results copied from any host. A file that is missing leaves its
 * figures out; one that cannot be parsed is an error naming it.
 */
final class ExperimentFiles {
    static final ObjectMapper JSON = new ObjectMapper();

    /** A figure across cycles from result.json's statistics. */
    record Statistic(String metric, String unit, Double mean, Double ciLow, Double ciHigh, int n) {
    }

    /** One request's times, nanoTime readings of the process that ran it. */
    record Request(long startNanos, long firstTokenNanos, long endNanos, long[] tokenNanos) {
    }

    /** A power reading from the power series. */
    record PowerPoint(long timestampNanos, String source, String deviceId, double powerWatts) {
    }

    /** Idle power of a device measured before the run. */
    record Baseline(String source, String deviceId, double meanWatts) {
    }

    /** One process's cycle: its window, requests, baseline and power series. */
    record Cycle(int cycle, int process, long windowStartNanos, long windowEndNanos, List<Request> requests,
            List<Baseline> baselines, List<PowerPoint> power) {
    }

    final Path directory;
    final String id;
    final String name;
    final String state;
    final String reason;
    final JsonNode result;
    final JsonNode environment;

    private ExperimentFiles(Path directory, String name, String state, String reason, JsonNode result, JsonNode environment) {
        this.directory = directory;
        this.id = directory.getFileName().toString();
        this.name = name;
        this.state = state;
        this.reason = reason;
        this.result = result;
        this.environment = environment;
    }

    static ExperimentFiles read(Path directory) {
        JsonNode status = tree(directory.resolve("status.json"));
        JsonNode result = tree(directory.resolve("result.json"));
        if (status == null && result == null) {
            throw new ReportException(directory + " is not an experiment's results folder: it has neither status.json nor result.json");
        }
        String name = text(result, "name", text(status, "name", directory.getFileName().toString()));
        return new ExperimentFiles(directory, name, text(status, "state", result == null ? "unknown" : "complete"),
                text(status, "reason", null), result, tree(directory.resolve("environment.json")));
    }

    /** The JSON tree of a file, or null when there is no such file. */
    static JsonNode tree(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new ReportException(file + " cannot be read as JSON: " + e.getMessage());
        }
    }

    static String text(JsonNode node, String field, String otherwise) {
        if (node == null || !node.hasNonNull(field)) {
            return otherwise;
        }
        return node.get(field).asText();
    }

    static Double number(JsonNode node, String... path) {
        JsonNode n = node;
        for (String p : path) {
            if (n == null) {
                return null;
            }
            n = n.get(p);
        }
        return n == null || !n.isNumber() ? null : n.asDouble();
    }

    boolean aggregated() {
        return result != null;
    }

    /** A pooled figure of all cycles ({@code overall} in result.json), or null. */
    Double overall(String field) {
        return number(result, "overall", field);
    }

    /** A metric's statistics across cycles, or null when result.json has none. */
    Statistic statistic(String metric) {
        if (result == null || !result.has("statistics")) {
            return null;
        }
        for (JsonNode s : result.get("statistics")) {
            if (metric.equals(s.path("metric").asText())) {
                return new Statistic(metric, s.path("unit").asText(""), number(s, "mean"), number(s, "ci_low"),
                        number(s, "ci_high"), s.path("n").asInt());
            }
        }
        return null;
    }

    /** Every request's TTFT in ms, all cycles. */
    List<Double> ttftMs() {
        List<Double> values = new ArrayList<>();
        if (result != null) {
            for (JsonNode cycle : result.path("cycles")) {
                for (JsonNode r : cycle.path("requests")) {
                    Double v = number(r, "ttft_ms");
                    if (v != null) {
                        values.add(v);
                    }
                }
            }
        }
        return values;
    }

    /** Every warning: the run's reason when it did not complete, then result.json's warnings. */
    List<String> warnings() {
        List<String> warnings = new ArrayList<>();
        if (reason != null && !reason.isBlank()) {
            warnings.add("status " + state + ": " + reason);
        }
        if (result != null) {
            result.path("warnings").forEach(w -> warnings.add(w.asText()));
        }
        return warnings;
    }

    /** environment.json flattened: dotted key path to value, in file order. */
    Map<String, String> environmentTable() {
        Map<String, String> rows = new LinkedHashMap<>();
        if (environment != null) {
            flatten("", environment, rows);
        }
        return rows;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> rows) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                flatten(prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey(), f.getValue(), rows);
            }
        } else if (node.isArray()) {
            boolean scalars = true;
            for (JsonNode e : node) {
                scalars &= e.isValueNode();
            }
            if (scalars) {
                List<String> items = new ArrayList<>();
                node.forEach(e -> items.add(e.asText()));
                rows.put(prefix, String.join(", ", items));
            } else {
                for (int i = 0; i < node.size(); i++) {
                    flatten(prefix + "[" + i + "]", node.get(i), rows);
                }
            }
        } else {
            rows.put(prefix, node.isNull() ? "n/a" : node.asText());
        }
    }

    /** The raw files in cycle and process order, each with its power series when it has one. */
    List<Cycle> cycles() {
        Path raw = directory.resolve("raw");
        if (!Files.isDirectory(raw)) {
            return List.of();
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(raw, 2)) {
            files = walk.filter(p -> p.getFileName().toString().matches("process_\\d+\\.json"))
                    .filter(p -> p.getParent().getFileName().toString().matches("cycle_\\d+"))
                    .sorted((a, b) -> Integer.compare(order(a), order(b))).toList();
        } catch (IOException e) {
            throw new ReportException(raw + " cannot be listed: " + e.getMessage());
        }
        List<Cycle> cycles = new ArrayList<>();
        for (Path file : files) {
            JsonNode node = tree(file);
            List<Request> requests = new ArrayList<>();
            for (JsonNode r : node.path("requests")) {
                JsonNode events = r.path("token_events");
                long[] tokens = new long[events.size()];
                for (int i = 0; i < tokens.length; i++) {
                    tokens[i] = events.get(i).path("timestamp_nanos").asLong();
                }
                requests.add(new Request(r.path("start_nanos").asLong(), r.path("first_token_nanos").asLong(),
                        r.path("end_nanos").asLong(), tokens));
            }
            List<Baseline> baselines = new ArrayList<>();
            for (JsonNode b : node.path("baseline")) {
                baselines.add(new Baseline(b.path("source").asText(), b.path("device_id").asText(), b.path("mean_watts").asDouble()));
            }
            String series = text(node, "power_series_file", null);
            List<PowerPoint> power = series == null ? List.of() : powerSeries(directory.resolve(series));
            cycles.add(new Cycle(node.path("cycle").asInt(), node.path("process").asInt(),
                    node.path("window").path("start_nanos").asLong(), node.path("window").path("end_nanos").asLong(), requests,
                    baselines, power));
        }
        return cycles;
    }

    private static int order(Path processFile) {
        int cycle = Integer.parseInt(processFile.getParent().getFileName().toString().substring("cycle_".length()));
        String f = processFile.getFileName().toString();
        int process = Integer.parseInt(f.substring("process_".length(), f.length() - ".json".length()));
        return cycle * 10_000 + process;
    }

    /**
     * A power series CSV ({@code timestamp_nanos,source,device_id,power_watts,...}); a missing file
     * gives none, a last line cut short by a crash is skipped, any other bad line is an error
     * naming the file and line.
     */
    static List<PowerPoint> powerSeries(Path file) {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ReportException(file + " cannot be read: " + e.getMessage());
        }
        return powerLines(file.toString(), lines, true);
    }

    static List<PowerPoint> powerLines(String where, List<String> lines, boolean header) {
        List<PowerPoint> points = new ArrayList<>(lines.size());
        for (int i = header ? 1 : 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty()) {
                continue;
            }
            // the first four columns are never quoted: digits, a source name, a device id, a number
            String[] cells = line.split(",", 5);
            try {
                if (cells.length < 4) {
                    throw new NumberFormatException("only " + cells.length + " cells");
                }
                points.add(new PowerPoint(Long.parseLong(cells[0]), cells[1], cells[2], Double.parseDouble(cells[3])));
            } catch (NumberFormatException e) {
                if (i != lines.size() - 1) {
                    throw new ReportException(where + ": line " + (i + 1) + " is not a power reading (" + e.getMessage() + ")");
                }
            }
        }
        return points;
    }
}
