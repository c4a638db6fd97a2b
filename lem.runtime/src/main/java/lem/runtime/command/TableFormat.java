package lem.runtime.command;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Renders a {@link Table} as aligned text columns no wider than {@link #WIDTH}: a cell too long for
 * its column wraps onto the next lines within it; when the columns before the last leave the last
 * one too little room (a REASON column), each row's last cell goes on its own indented lines under
 * the row. Titles and footer lines wrap with an indent. Nothing is cut: the files keep the same
 * text on one line.
 */
public final class TableFormat {
    /** The widest line printed. */
    public static final int WIDTH = 120;
    /** The narrowest a column is squeezed to before its cells wrap. */
    static final int MIN_COLUMN = 16;
    /** The narrowest the last column may be before it moves under its row. */
    static final int MIN_LAST_COLUMN = 32;
    private static final String GAP = "  ";
    private static final String UNDER_ROW_INDENT = "    ";

    private TableFormat() {
    }

    public static String render(Table table) {
        List<String> headers = table.headers();
        int columns = headers.size();
        int[] widths = naturalWidths(table, columns);
        boolean lastUnder = false;
        if (total(widths) > WIDTH) {
            int[] squeezed = squeeze(widths, columns, MIN_LAST_COLUMN);
            if (squeezed == null && columns > 1) {
                lastUnder = true;
                squeezed = squeeze(Arrays.copyOf(widths, columns - 1), columns - 1, MIN_COLUMN);
            }
            widths = squeezed != null ? squeezed : widths;
            if (columns == 1) {
                widths[0] = Math.min(widths[0], WIDTH);
            }
        }
        StringBuilder out = new StringBuilder();
        if (table.title() != null && !table.title().isEmpty()) {
            wrapped(out, table.title(), "  ");
        }
        int gridColumns = lastUnder ? columns - 1 : columns;
        List<String> headerCells = new ArrayList<>(headers.subList(0, gridColumns));
        if (lastUnder) {
            // the last column's name stays on the header line, after the others
            headerCells.add(headers.get(columns - 1));
        }
        line(out, headerCells, lastUnder ? Arrays.copyOf(widths, gridColumns + 1) : widths);
        List<String> rule = new ArrayList<>();
        for (int i = 0; i < gridColumns; i++) {
            rule.add("-".repeat(widths[i]));
        }
        if (lastUnder) {
            rule.add("-".repeat(headers.get(columns - 1).length()));
        }
        line(out, rule, lastUnder ? Arrays.copyOf(widths, gridColumns + 1) : widths);
        for (List<String> row : table.rows()) {
            List<List<String>> cells = new ArrayList<>();
            int height = 1;
            for (int i = 0; i < gridColumns; i++) {
                List<String> parts = wrap(cell(row, i), widths[i]);
                cells.add(parts);
                height = Math.max(height, parts.size());
            }
            for (int k = 0; k < height; k++) {
                List<String> physical = new ArrayList<>();
                for (List<String> parts : cells) {
                    physical.add(k < parts.size() ? parts.get(k) : "");
                }
                line(out, physical, Arrays.copyOf(widths, gridColumns));
            }
            if (lastUnder && !cell(row, columns - 1).isEmpty()) {
                for (String part : wrap(cell(row, columns - 1), WIDTH - UNDER_ROW_INDENT.length())) {
                    out.append(UNDER_ROW_INDENT).append(part).append('\n');
                }
            }
        }
        if (table.rows().isEmpty()) {
            out.append("(none)\n");
        }
        for (String note : table.footer()) {
            wrapped(out, note, "  ");
        }
        return out.toString();
    }

    /**
     * A line of text no wider than {@link #WIDTH}: wrapped at spaces, continuation lines indented
     * by the line's own leading spaces plus {@code indent}.
     */
    public static String wrap(String text, String indent) {
        StringBuilder out = new StringBuilder();
        wrapped(out, text, indent);
        return out.toString().stripTrailing();
    }

    private static void wrapped(StringBuilder out, String text, String indent) {
        for (String paragraph : text.split("\n", -1)) {
            int lead = 0;
            while (lead < paragraph.length() && paragraph.charAt(lead) == ' ') {
                lead++;
            }
            String hanging = " ".repeat(lead) + indent;
            List<String> parts = wrap(paragraph.substring(lead), WIDTH - lead);
            if (parts.size() > 1) {
                // the continuation lines are narrower by the indent: wrap the rest again to fit
                String first = parts.get(0);
                String rest = paragraph.substring(lead).substring(first.length()).strip();
                parts = new ArrayList<>(List.of(first));
                parts.addAll(wrap(rest, WIDTH - hanging.length()));
            }
            for (int i = 0; i < parts.size(); i++) {
                out.append(i == 0 ? " ".repeat(lead) : hanging).append(parts.get(i)).append('\n');
            }
        }
    }

    /** Words into lines of at most {@code width} characters; a word longer than that is split. */
    static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        if (text.length() <= width) {
            lines.add(text);
            return lines;
        }
        StringBuilder current = new StringBuilder();
        for (String word : text.split(" ")) {
            while (word.length() > width) {
                if (current.length() > 0) {
                    lines.add(current.toString());
                    current.setLength(0);
                }
                lines.add(word.substring(0, width));
                word = word.substring(width);
            }
            if (current.length() > 0 && current.length() + 1 + word.length() > width) {
                lines.add(current.toString());
                current.setLength(0);
            }
            if (current.length() > 0) {
                current.append(' ');
            }
            current.append(word);
        }
        if (current.length() > 0 || lines.isEmpty()) {
            lines.add(current.toString());
        }
        return lines;
    }

    private static int[] naturalWidths(Table table, int columns) {
        int[] widths = new int[columns];
        for (int i = 0; i < columns; i++) {
            widths[i] = table.headers().get(i).length();
        }
        for (List<String> row : table.rows()) {
            for (int i = 0; i < columns && i < row.size(); i++) {
                widths[i] = Math.max(widths[i], cell(row, i).length());
            }
        }
        return widths;
    }

    /**
     * Narrows the widest columns, one character at a time, until the table fits; each column stops
     * at {@link #MIN_COLUMN} (or its natural width if less), the last at {@code lastMin}. Null when
     * that is not enough.
     */
    private static int[] squeeze(int[] natural, int columns, int lastMin) {
        int[] widths = natural.clone();
        int[] floor = new int[columns];
        for (int i = 0; i < columns; i++) {
            floor[i] = Math.min(widths[i], i == columns - 1 ? lastMin : MIN_COLUMN);
        }
        while (total(widths) > WIDTH) {
            int widest = -1;
            for (int i = 0; i < columns; i++) {
                if (widths[i] > floor[i] && (widest < 0 || widths[i] > widths[widest])) {
                    widest = i;
                }
            }
            if (widest < 0) {
                return null;
            }
            widths[widest]--;
        }
        return widths;
    }

    private static int total(int[] widths) {
        int sum = 0;
        for (int w : widths) {
            sum += w;
        }
        return sum + GAP.length() * Math.max(0, widths.length - 1);
    }

    private static void line(StringBuilder out, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < widths.length; i++) {
            String cell = cell(cells, i);
            line.append(i == widths.length - 1 ? cell : String.format("%-" + widths[i] + "s" + GAP, cell));
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    private static String cell(List<String> row, int i) {
        String s = i < row.size() ? row.get(i) : "";
        return s == null ? "" : s.replace('\n', ' ');
    }
}
