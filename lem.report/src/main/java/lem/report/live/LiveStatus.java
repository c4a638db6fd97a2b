package lem.report.live;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What is running now, read from the results folder alone: every experiment whose
 * {@code live.json} (written by the runtime about once a second) says running and was written
 * within {@link #STALE_MILLIS}, with its campaign run when a campaign's
 * {@code runs/run_<i>.json} names it, and the last readings per device from the tail of its
 * current power series file.
 */
public final class LiveStatus {
    /** A live.json older than this belongs to a run that died without a last word (kill -9). */
    public static final long STALE_MILLIS = 15_000;
    /** Readings kept per device. */
    public static final int SAMPLES_PER_DEVICE = 120;
    /** Bytes read from the end of a power series file. */
    static final int TAIL_BYTES = 256 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private LiveStatus() {
    }

    /** {@code {"running": [...], "checked_epoch_ms": ...}}. */
    public static ObjectNode of(Path resultsRoot, long nowMillis) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode running = root.putArray("running");
        for (Path dir : directories(resultsRoot)) {
            Path file = dir.resolve("live.json");
            if (!Files.isRegularFile(file)) {
                continue;
            }
            JsonNode live;
            try {
                live = JSON.readTree(Files.readAllBytes(file));
            } catch (IOException e) {
                continue; // being replaced right now: the next poll reads it
            }
            if (!live.path("running").asBoolean() || nowMillis - live.path("updated_epoch_ms").asLong() > STALE_MILLIS) {
                continue;
            }
            ObjectNode entry = live.deepCopy();
            entry.put("age_s", (nowMillis - live.path("updated_epoch_ms").asLong()) / 1000.0);
            campaignRun(resultsRoot, dir.getFileName().toString(), entry);
            entry.set("devices", devices(dir, live.path("cycle").asInt(0)));
            running.add(entry);
        }
        root.put("checked_epoch_ms", nowMillis);
        return root;
    }

    private static List<Path> directories(Path root) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(root)) {
            return list.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Adds {@code campaign: {id, name, run, runs}} when a running campaign run made this experiment. */
    static void campaignRun(Path resultsRoot, String experimentId, ObjectNode entry) {
        for (Path campaign : directories(resultsRoot.resolve("campaigns"))) {
            Path runs = campaign.resolve("runs");
            for (Path run : files(runs)) {
                try {
                    JsonNode record = JSON.readTree(Files.readAllBytes(run));
                    if (experimentId.equals(record.path("experiment_id").asText())
                            && "RUNNING".equalsIgnoreCase(record.path("state").asText())) {
                        JsonNode plan = JSON.readTree(Files.readAllBytes(campaign.resolve("plan.json")));
                        ObjectNode c = entry.putObject("campaign");
                        c.put("id", campaign.getFileName().toString());
                        c.put("name", plan.path("name").asText());
                        c.put("run", record.path("index").asInt() + 1);
                        c.put("runs", plan.path("runs").size());
                        return;
                    }
                } catch (IOException e) {
                    // a record being rewritten: the next poll reads it
                }
            }
        }
    }

    private static List<Path> files(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().endsWith(".json")).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The last readings per source and device of the cycle's power series: {@code [{source, device_id, t_s: [...], watts: [...]}]}. */
    static ArrayNode devices(Path experiment, int cycle) {
        ArrayNode devices = JSON.createArrayNode();
        Path series = experiment.resolve("timeseries").resolve("cycle_" + cycle + "_process_0.csv");
        if (cycle < 1 || !Files.isRegularFile(series)) {
            return devices;
        }
        Map<String, List<double[]>> byDevice = new LinkedHashMap<>();
        for (String line : tail(series)) {
            String[] cells = line.split(",", 5);
            if (cells.length < 4 || !cells[0].matches("-?\\d+")) { // nanoTime may be below 0
                continue; // the header, or a line still being written
            }
            try {
                byDevice.computeIfAbsent(cells[1] + "\u0000" + cells[2], k -> new ArrayList<>())
                        .add(new double[] {Long.parseLong(cells[0]), Double.parseDouble(cells[3])});
            } catch (NumberFormatException e) {
                // a line cut in the middle by the writer
            }
        }
        for (Map.Entry<String, List<double[]>> d : byDevice.entrySet()) {
            List<double[]> points = d.getValue();
            List<double[]> last = points.subList(Math.max(0, points.size() - SAMPLES_PER_DEVICE), points.size());
            double newest = last.get(last.size() - 1)[0];
            ObjectNode device = devices.addObject();
            String[] key = d.getKey().split("\u0000", 2);
            device.put("source", key[0]);
            device.put("device_id", key[1]);
            ArrayNode t = device.putArray("t_s");
            ArrayNode w = device.putArray("watts");
            for (double[] p : last) {
                t.add((p[0] - newest) / 1e9); // seconds before the newest reading
                w.add(p[1]);
            }
        }
        return devices;
    }

    private static List<String> tail(Path file) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long length = f.length();
            long from = Math.max(0, length - TAIL_BYTES);
            byte[] bytes = new byte[(int) (length - from)];
            f.seek(from);
            f.readFully(bytes);
            List<String> lines = new ArrayList<>(new String(bytes, StandardCharsets.UTF_8).lines().toList());
            if (from > 0 && !lines.isEmpty()) {
                lines.remove(0); // cut in the middle
            }
            return lines;
        } catch (IOException e) {
            return List.of();
        }
    }
}
