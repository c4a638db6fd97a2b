package lem.runtime.results;

import java.util.ArrayList;
import java.util.List;

/** RFC 4180 cells: quoted only when they hold a comma, quote or line break. */
public final class CsvText {
    private CsvText() {
    }

    static String cell(String value) {
        if (value == null) {
            return "";
        }
        if (value.indexOf(',') >= 0 || value.indexOf('"') >= 0 || value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
            return '"' + value.replace("\"", "\"\"") + '"';
        }
        return value;
    }

    public static String row(List<String> cells) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) {
                line.append(',');
            }
            line.append(cell(cells.get(i)));
        }
        return line.toString();
    }

    /**
     * The records of a CSV text, each without its line break. A line break inside a quoted cell
     * belongs to the cell, so a record may span several lines; blank lines are skipped.
     */
    static List<String> records(String text) {
        List<String> records = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"') {
                // a doubled quote inside a quoted cell flips twice: the state is unchanged
                quoted = !quoted;
            } else if (!quoted && (c == '\n' || c == '\r')) {
                addRecord(records, text.substring(start, i));
                start = i + 1;
            }
        }
        addRecord(records, text.substring(start));
        return records;
    }

    private static void addRecord(List<String> records, String record) {
        if (!record.isBlank()) {
            records.add(record);
        }
    }

    /** Splits one record written by {@link #row}. */
    static List<String> split(String line) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                cells.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        cells.add(cell.toString());
        return cells;
    }
}
