package lem.runtime.results;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One experiment's directory, {@code <results>/<experiment-id>/}:
 * <pre>
 * status.json                               running / complete / incomplete, reason, times, PID and host
 * config.json                               resolved config with provenance
 * raw/cycle_&lt;c&gt;/process_&lt;n&gt;.json            one per process and cycle, as soon as it exists
 * timeseries/cycle_&lt;c&gt;_process_&lt;n&gt;.csv      power series, appended while sampling
 * result.json                               the aggregate
 * ../experiments.csv                        one row per experiment
 * ../experiments_tidy.csv                   the tidy table: config columns and metrics with units ({@link TidyTable})
 * </pre>
 * Every JSON file is written atomically. Call order for a run: {@link #create}, {@link #writeConfig},
 * per cycle and process {@link #openPowerSeries} then {@link #writeRaw}, then {@link #aggregate},
 * {@link #writeResult} and {@link #markComplete}; on any stop {@link #markIncomplete}.
 */
public final class ResultsDirectory {
    public static final String STATUS_FILE = "status.json";
    public static final String CONFIG_FILE = "config.json";
    public static final String RESULT_FILE = "result.json";
    public static final String RAW_DIR = "raw";
    public static final String TIMESERIES_DIR = "timeseries";
    public static final String EXPERIMENTS_CSV = "experiments.csv";
    /** Longest time power readings wait in memory before they reach the series file. */
    public static final long POWER_SERIES_FLUSH_NANOS = 1_000_000_000L;

    private static final Pattern VALID_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final Path resultsRoot;
    private final String experimentId;
    private final Path path;

    private ResultsDirectory(Path resultsRoot, String experimentId) {
        this.resultsRoot = resultsRoot;
        this.experimentId = experimentId;
        this.path = resultsRoot.resolve(experimentId);
    }

    /** An id not used under the root yet: the name made file-safe, the UTC time, a counter if needed. */
    public static String newExperimentId(Path resultsRoot, String name, long epochMillis) {
        String slug = name == null ? "" : name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-")
                .replaceAll("^[-._]+|-+$", "");
        if (slug.length() > 60) {
            slug = slug.substring(0, 60);
        }
        String base = (slug.isEmpty() ? "experiment" : slug) + "-" + ID_TIME.format(Instant.ofEpochMilli(epochMillis));
        String id = base;
        for (int n = 2; Files.exists(resultsRoot.resolve(id)); n++) {
            id = base + "-" + n;
        }
        return id;
    }

    /**
     * Creates the directory of a new experiment and marks it running.
     *
     * @throws IllegalArgumentException when the id is not file-safe
     * @throws FileAlreadyExistsException when the experiment exists already
     */
    public static ResultsDirectory create(Path resultsRoot, String experimentId, String name) throws IOException {
        checkId(experimentId);
        ResultsDirectory directory = new ResultsDirectory(resultsRoot, experimentId);
        Files.createDirectories(resultsRoot);
        try {
            Files.createDirectory(directory.path);
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(directory.path.toString(), null,
                    "experiment " + experimentId + " exists already; results are never overwritten, choose another id");
        }
        Files.createDirectories(directory.path.resolve(RAW_DIR));
        Files.createDirectories(directory.path.resolve(TIMESERIES_DIR));
        ExperimentStatus running = ExperimentStatus.running(experimentId, name, System.currentTimeMillis());
        directory.writeStatus(running);
        // the row exists from the start, so a run that dies without a word is still in the table
        directory.updateExperimentsCsv(running, null);
        return directory;
    }

    /**
     * An existing experiment's directory.
     *
     * @throws UnknownExperimentException when there is none
     */
    public static ResultsDirectory open(Path resultsRoot, String experimentId) {
        return new ResultStore(resultsRoot).directory(experimentId);
    }

    static ResultsDirectory existing(Path resultsRoot, String experimentId) {
        return new ResultsDirectory(resultsRoot, experimentId);
    }

    static void checkId(String experimentId) {
        if (experimentId == null || !VALID_ID.matcher(experimentId).matches() || experimentId.contains("..")) {
            throw new IllegalArgumentException("experiment id '" + experimentId + "' is not allowed: use 1 to 128 "
                    + "letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'");
        }
    }

    public Path path() {
        return path;
    }

    public String experimentId() {
        return experimentId;
    }

    public Path resultsRoot() {
        return resultsRoot;
    }

    /** Writes {@code config.json}: the resolved config and where each value came from. */
    public void writeConfig(Map<String, ?> resolvedConfig) throws IOException {
        ResultsJson.writeAtomically(path.resolve(CONFIG_FILE), Objects.requireNonNull(resolvedConfig, "resolvedConfig"));
    }

    /** Where a raw result goes, relative to the experiment directory. */
    public static String rawPath(int cycle, int process) {
        return RAW_DIR + "/cycle_" + cycle + "/process_" + process + ".json";
    }

    /** Where a power series goes, relative to the experiment directory: put this in {@link RawResult#powerSeriesFile()}. */
    public static String powerSeriesPath(int cycle, int process) {
        return TIMESERIES_DIR + "/cycle_" + cycle + "_process_" + process + ".csv";
    }

    /** Writes {@code raw/cycle_<c>/process_<n>.json} atomically; a second write for the same cycle and process replaces it. */
    public Path writeRaw(RawResult raw) throws IOException {
        if (!raw.experimentId().equals(experimentId)) {
            throw new IllegalArgumentException("raw result of experiment " + raw.experimentId()
                    + " written to the directory of " + experimentId);
        }
        Path file = path.resolve(rawPath(raw.cycle(), raw.process()));
        ResultsJson.writeAtomically(file, raw);
        return file;
    }

    /** Opens the power series of one process and cycle; feed it from the sampler and close it when the window ends. */
    public PowerSeriesFile.Appender openPowerSeries(int cycle, int process) throws IOException {
        return PowerSeriesFile.open(path.resolve(powerSeriesPath(cycle, process)), POWER_SERIES_FLUSH_NANOS);
    }

    /** Aggregates the raw files on disk: {@link Aggregator#aggregate(Path)}. */
    public AggregatedResult aggregate() {
        return Aggregator.aggregate(path);
    }

    /** Writes {@code result.json} and puts the experiment's row into {@code experiments.csv}. */
    public void writeResult(AggregatedResult result) throws IOException {
        ResultsJson.writeAtomically(path.resolve(RESULT_FILE), result);
        updateExperimentsCsv(statusOrNull(), result);
    }

    public void markComplete() throws IOException {
        changeState(RunState.COMPLETE, null);
    }

    /** Marks the run stopped early with the reason; finished raw files stay. */
    public void markIncomplete(String reason) throws IOException {
        changeState(RunState.INCOMPLETE, reason == null || reason.isBlank() ? "stopped, reason unknown" : reason);
    }

    public ExperimentStatus status() {
        Path file = path.resolve(STATUS_FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        return ResultsJson.read(file, ExperimentStatus.class);
    }

    /** The stored aggregate, or null when none was written. */
    public AggregatedResult result() {
        Path file = path.resolve(RESULT_FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        AggregatedResult result = ResultsJson.read(file, AggregatedResult.class);
        if (!RawResult.SCHEMA_VERSION.equals(result.schemaVersion())) {
            throw new ResultsFileException(file, "has schema_version " + result.schemaVersion() + "; this version of "
                    + "lem reads schema_version " + RawResult.SCHEMA_VERSION + " (run lem:aggregate " + experimentId
                    + " to rebuild it from the raw files)");
        }
        return result;
    }

    private void changeState(RunState state, String reason) throws IOException {
        ExperimentStatus current = statusOrNull();
        long now = System.currentTimeMillis();
        ExperimentStatus next = current == null
                ? new ExperimentStatus(RawResult.SCHEMA_VERSION, experimentId, experimentId, state, reason, now, now,
                        null, null, null)
                : current.withState(state, reason, now);
        writeStatus(next);
        AggregatedResult result;
        try {
            result = result();
        } catch (ResultsFileException e) {
            result = null; // a result.json cut by a full disk must not keep the state from being recorded
        }
        updateExperimentsCsv(next, result);
    }

    /** The status, or null when status.json is missing or unreadable (a later write replaces it). */
    private ExperimentStatus statusOrNull() {
        try {
            return status();
        } catch (ResultsFileException e) {
            return null;
        }
    }

    /** Atomically where there is room; on a full disk in place, so the end of a run is still recorded. */
    private void writeStatus(ExperimentStatus status) throws IOException {
        AtomicFiles.writeEvenWhenFull(path.resolve(STATUS_FILE), ResultsJson.toBytes(status));
    }

    /** The row is made from what the caller holds, not by reading back the file it has just written. */
    private void updateExperimentsCsv(ExperimentStatus status, AggregatedResult result) throws IOException {
        ExperimentCsv.upsert(resultsRoot.resolve(EXPERIMENTS_CSV), experimentId,
                ExperimentCsv.row(status, result, experimentId));
        TidyTable.refresh(resultsRoot, experimentId);
    }
}
