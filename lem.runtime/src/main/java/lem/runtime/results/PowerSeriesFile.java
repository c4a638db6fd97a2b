package lem.runtime.results;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

import lem.api.energy.PowerSample;

/**
 * The power time series of one process and cycle as CSV:
 * {@code timestamp_nanos,source,device_id,power_watts}, then one column per telemetry key that
 * {@link PowerSample} names, then {@code other_telemetry} ({@code key=value;...}) for keys a source
 * adds. An empty cell means the source did not report that value.
 */
public final class PowerSeriesFile {
    static final List<String> TELEMETRY_COLUMNS = List.of(PowerSample.TEMPERATURE_CELSIUS, PowerSample.SM_CLOCK_MHZ,
            PowerSample.MEMORY_CLOCK_MHZ, PowerSample.GPU_UTILISATION_PERCENT, PowerSample.MEMORY_UTILISATION_PERCENT,
            PowerSample.MEMORY_USED_BYTES, PowerSample.CLOCK_EVENT_REASONS, PowerSample.PSTATE);
    /** The columns every series starts with, which {@link #read} needs. */
    private static final String FIXED_COLUMNS = "timestamp_nanos,source,device_id,power_watts";
    static final String HEADER;

    static {
        StringJoiner header = new StringJoiner(",");
        header.add(FIXED_COLUMNS);
        TELEMETRY_COLUMNS.forEach(header::add);
        header.add("other_telemetry");
        HEADER = header.toString();
    }

    private PowerSeriesFile() {
    }

    /**
     * Opens a new series file for appending; the lifecycle feeds it from the sampler.
     *
     * @param file                 the file; it must not exist yet
     * @param flushIntervalNanos   longest time rows stay in memory before they reach the file
     */
    public static Appender open(Path file, long flushIntervalNanos) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
        writer.write(HEADER);
        writer.write('\n');
        writer.flush();
        return new Appender(file, writer, flushIntervalNanos);
    }

    static String row(String source, PowerSample sample) {
        List<String> cells = new ArrayList<>(TELEMETRY_COLUMNS.size() + 5);
        cells.add(Long.toString(sample.timestampNanos()));
        cells.add(source);
        cells.add(sample.deviceId());
        cells.add(number(sample.powerWatts()));
        Map<String, Double> telemetry = sample.telemetry();
        for (String column : TELEMETRY_COLUMNS) {
            Double value = telemetry.get(column);
            cells.add(value == null ? "" : number(value));
        }
        StringJoiner other = new StringJoiner(";");
        new TreeMap<>(telemetry).forEach((key, value) -> {
            if (!TELEMETRY_COLUMNS.contains(key)) {
                other.add(key + "=" + number(value));
            }
        });
        cells.add(other.toString());
        return CsvText.row(cells);
    }

    private static String number(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return String.format(Locale.ROOT, "%s", value);
    }

    /**
     * Reads a series back. A last line cut short by a crash is skipped; any other malformed line is
     * an error naming the file and line.
     */
    public static List<PowerSeriesPoint> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ResultsFileException(file, "cannot be read: " + e.getMessage(), e);
        }
        if (lines.isEmpty() || !lines.get(0).startsWith(FIXED_COLUMNS)) {
            throw new ResultsFileException(file, "is not a power series (its first line must be the header "
                    + FIXED_COLUMNS + ",...)");
        }
        List<PowerSeriesPoint> points = new ArrayList<>(lines.size());
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty()) {
                continue;
            }
            try {
                List<String> cells = CsvText.split(line);
                if (cells.size() < 4) {
                    throw new NumberFormatException("only " + cells.size() + " cells");
                }
                points.add(new PowerSeriesPoint(Long.parseLong(cells.get(0)), cells.get(1), cells.get(2),
                        Double.parseDouble(cells.get(3))));
            } catch (NumberFormatException e) {
                boolean last = i == lines.size() - 1;
                if (!last) {
                    throw new ResultsFileException(file, "line " + (i + 1) + " is malformed: " + e.getMessage(), e);
                }
            }
        }
        return points;
    }

    /** Appends rows as the sampler produces them; safe to call from the sampler's thread. */
    public static final class Appender implements AutoCloseable {
        private final Path file;
        private final BufferedWriter writer;
        private final long flushIntervalNanos;
        private long lastFlushNanos = System.nanoTime();
        private boolean closed;

        private Appender(Path file, BufferedWriter writer, long flushIntervalNanos) {
            this.file = file;
            this.writer = writer;
            this.flushIntervalNanos = flushIntervalNanos;
        }

        /** Adds one reading; flushes when the last flush is older than the flush interval. */
        public synchronized void append(String source, PowerSample sample) throws IOException {
            if (closed) {
                throw new IOException("power series " + file + " is already closed");
            }
            writer.write(row(source, sample));
            writer.write('\n');
            long now = System.nanoTime();
            if (now - lastFlushNanos >= flushIntervalNanos) {
                writer.flush();
                lastFlushNanos = now;
            }
        }

        /** Flushes and forces the file to disk. */
        @Override
        public synchronized void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            writer.close();
            try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                channel.force(true);
            }
        }
    }
}
