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
import java.util.List;
import java.util.Locale;

/**
 * One CSV row per experiment: {@code results/experiments.csv} and {@code lem:results export --csv}.
 * Each headline metric has columns named for what they hold, and an interval is only ever beside
 * the estimate it belongs to: {@code <metric>_pooled} (over all cycles: totals divided by totals,
 * latencies from all requests), {@code <metric>_cycle_mean} with its 95% t-interval
 * {@code <metric>_cycle_ci95_low/high}, and {@code <metric>_cycle_geomean} with its 95% log-scale
 * interval {@code <metric>_cycle_geomean_ci95_low/high} (empty unless every cycle value is above 0).
 */
public final class ExperimentCsv {
    private static final Object LOCK = new Object();
    /** The columns of each headline metric, after its key. */
    static final List<String> METRIC_COLUMNS = List.of("_pooled", "_cycle_mean", "_cycle_ci95_low", "_cycle_ci95_high",
            "_cycle_geomean", "_cycle_geomean_ci95_low", "_cycle_geomean_ci95_high");

    private ExperimentCsv() {
    }

    public static List<String> header() {
        List<String> header = new ArrayList<>(List.of("experiment_id", "name", "status", "reason", "started_utc",
                "cycles", "processes_per_cycle", "requests", "failed_requests", "input_tokens", "output_tokens",
                "window_s", "energy_sources"));
        for (HeadlineMetric metric : HeadlineMetric.values()) {
            for (String suffix : METRIC_COLUMNS) {
                header.add(metric.key() + suffix);
            }
        }
        return header;
    }

    /** The row of one experiment; the result may be null when it was never aggregated. */
    public static List<String> row(ExperimentStatus status, AggregatedResult result, String experimentId) {
        List<String> row = new ArrayList<>();
        row.add(experimentId);
        row.add(status == null ? (result == null ? "" : result.name()) : status.name());
        // what a reader should believe: a running status whose process is gone is dead
        RunState state = RunningProcess.effectiveState(status);
        String reason = state == RunState.DEAD ? RunningProcess.deathReason(status) : status == null ? null : status.reason();
        row.add(state == null ? "" : state.name().toLowerCase(Locale.ROOT));
        row.add(reason == null ? "" : reason);
        row.add(status == null ? "" : Instant.ofEpochMilli(status.startedEpochMillis()).toString());
        WorkloadMetrics overall = result == null ? null : result.overall();
        row.add(result == null ? "" : Integer.toString(result.cyclesMeasured()));
        row.add(result == null ? "" : Integer.toString(result.processesPerCycle()));
        row.add(overall == null ? "" : Long.toString(overall.requests()));
        row.add(overall == null ? "" : Long.toString(overall.failedRequests()));
        row.add(overall == null ? "" : Long.toString(overall.inputTokens()));
        row.add(overall == null ? "" : Long.toString(overall.outputTokens()));
        row.add(overall == null ? "" : number(overall.windowNanos() / 1e9));
        row.add(result != null && result.unmetered() ? "unmetered" : overall == null || overall.energy() == null ? ""
                : String.join(" ", overall.energy().sourcesUsed()));
        for (HeadlineMetric metric : HeadlineMetric.values()) {
            row.add(number(metric.valueOf(overall)));
            MetricStatistics s = result == null ? null : result.statistic(metric.key());
            for (Double value : s == null ? java.util.Collections.<Double>nCopies(METRIC_COLUMNS.size() - 1, null)
                    : java.util.Arrays.asList(s.mean(), s.ciLow(), s.ciHigh(), s.geometricMean(), s.logCiLow(),
                            s.logCiHigh())) {
                row.add(number(value));
            }
        }
        return row;
    }

    static String number(Double value) {
        if (value == null || value.isNaN() || value.isInfinite()) {
            return "";
        }
        // six significant digits, no exponent, no trailing zeros
        return new java.math.BigDecimal(value).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }

    /** CSV text: the header and one row per given experiment. */
    public static String text(List<List<String>> rows) {
        StringBuilder text = new StringBuilder(CsvText.row(header())).append('\n');
        rows.forEach(row -> text.append(CsvText.row(row)).append('\n'));
        return text.toString();
    }

    /**
     * Puts the experiment's row into {@code experiments.csv}: appended the first time, replaced when it
     * is there already (a later aggregation or a change of state), the header written once. The file
     * is rewritten atomically under a file lock, so two runs finishing together both keep their row.
     * A file with other columns (an older lem's) is moved to {@code experiments.csv.bak} first;
     * {@code lem results export} writes every stored experiment in the current columns.
     */
    static void upsert(Path csv, String experimentId, List<String> row) throws IOException {
        synchronized (LOCK) {
            Path lockFile = csv.resolveSibling("." + csv.getFileName() + ".lock");
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = channel.lock()) {
                // records, not lines: a reason written over several lines is one quoted cell
                List<String> records = Files.isRegularFile(csv)
                        ? CsvText.records(Files.readString(csv, StandardCharsets.UTF_8)) : List.of();
                if (!records.isEmpty() && !CsvText.split(records.get(0)).equals(header())) {
                    // written by a lem with other columns: its rows would land under the wrong names,
                    // so the file is kept aside whole and a new one begins
                    Files.move(csv, csv.resolveSibling(csv.getFileName() + ".bak"),
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    records = List.of();
                }
                StringBuilder text = new StringBuilder(CsvText.row(header())).append('\n');
                boolean replaced = false;
                for (int i = 1; i < records.size(); i++) {
                    String record = records.get(i);
                    if (CsvText.split(record).get(0).equals(experimentId)) {
                        if (!replaced) {
                            text.append(CsvText.row(row)).append('\n');
                            replaced = true;
                        }
                    } else {
                        text.append(record).append('\n');
                    }
                }
                if (!replaced) {
                    text.append(CsvText.row(row)).append('\n');
                }
                AtomicFiles.writeEvenWhenFull(csv, text.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
    }
}
