package lem.energy.codecarbon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Appends rows to {@code emissions.csv} with exactly CodeCarbon's columns, in its order, so that
 * tools made for CodeCarbon's output read lem's. The header is written once, when the file is new.
 */
public final class EmissionsCsvWriter {
    public static final String FILE_NAME = "emissions.csv";

    /** CodeCarbon's emissions.csv columns, in order (codecarbon/output_methods/emissions_data.py). */
    public static final List<String> COLUMNS = List.of("timestamp", "project_name", "run_id", "experiment_id",
            "duration", "emissions", "emissions_rate", "cpu_power", "gpu_power", "ram_power", "cpu_energy",
            "gpu_energy", "ram_energy", "energy_consumed", "country_name", "country_iso_code", "region",
            "cloud_provider", "cloud_region", "os", "python_version", "codecarbon_version", "cpu_count",
            "cpu_model", "gpu_count", "gpu_model", "longitude", "latitude", "ram_total_size", "tracking_mode",
            "on_cloud", "pue");

    private final Path file;

    public EmissionsCsvWriter(Path outputDirectory) {
        this.file = outputDirectory.resolve(FILE_NAME);
    }

    public Path file() {
        return file;
    }

    /**
     * Appends one row; writes the header first when the file is new or empty. A file whose header
     * differs (another tool's or an older layout) is moved to {@code emissions.csv.bak} first, as
     * CodeCarbon does, so that no row lands under the wrong column.
     *
     * @return a warning when an old file was moved away, else empty
     */
    public synchronized String append(EmissionsRow row) throws IOException {
        Files.createDirectories(file.getParent());
        String warning = "";
        boolean needsHeader = !Files.exists(file) || Files.size(file) == 0;
        if (!needsHeader) {
            List<String> existing = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (existing.isEmpty() || !parseLine(existing.get(0)).equals(COLUMNS)) {
                Path backup = file.resolveSibling(FILE_NAME + ".bak");
                for (int i = 1; Files.exists(backup); i++) {
                    backup = file.resolveSibling(FILE_NAME + ".bak" + i);
                }
                Files.move(file, backup);
                warning = file + " had other columns; moved it to " + backup;
                needsHeader = true;
            }
        }
        StringBuilder text = new StringBuilder();
        if (needsHeader) {
            text.append(formatLine(COLUMNS));
        }
        text.append(formatLine(row.values()));
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return warning;
    }

    /** Reads every row back, keyed by column name. */
    public static List<Map<String, String>> readRows(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        List<Map<String, String>> rows = new ArrayList<>();
        if (lines.isEmpty()) {
            return rows;
        }
        List<String> header = parseLine(lines.get(0));
        for (String line : lines.subList(1, lines.size())) {
            if (line.isEmpty()) {
                continue;
            }
            List<String> values = parseLine(line);
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.size(); i++) {
                row.put(header.get(i), i < values.size() ? values.get(i) : "");
            }
            rows.add(row);
        }
        return rows;
    }

    private static String formatLine(List<String> values) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                line.append(',');
            }
            String v = values.get(i) == null ? "" : values.get(i);
            if (v.contains(",") || v.contains("\"") || v.contains("\n")) {
                line.append('"').append(v.replace("\"", "\"\"")).append('"');
            } else {
                line.append(v);
            }
        }
        return line.append('\n').toString();
    }

    /** One CSV line (RFC 4180 quoting, no embedded line breaks). */
    static List<String> parseLine(String line) {
        List<String> values = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    current.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    current.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                values.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        values.add(current.toString());
        return values;
    }
}
