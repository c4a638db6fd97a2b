package lem.runtime.command;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Renders a {@link Table} as aligned text columns no wider than {@link #WIDTH}: a cell too long for
 * its column wraps at spaces onto the next lines within it; when the columns before the last leave
 * the last one too little room (a REASON column), each row's last cell goes on its own indented
 * lines under the row. Titles and footer lines wrap with an indent. Words are never split, so an
 * id or a path longer than the room it has is the one thing that can make a line wider. Nothing is
 * cut: the files keep the same text on one line.
 */
public final class TableFormat {
    /** The widest line printed. */
    public static final int WIDTH = 120;
    /** The narrowest a column is squeezed to before its cells wrap. */
    static final int MIN_COLUMN = 20;
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
            int[] words = longestWords(table, columns);
            int[] squeezed = squeeze(widths, words, columns, MIN_LAST_COLUMN);
            if (total(squeezed) > WIDTH && columns > 1) {
                int[] grid = squeeze(Arrays.copyOf(widths, columns - 1), words, columns - 1, MIN_COLUMN);
                // under the row only when the other columns leave the last one too little room,
                // not because one of its words (a path) is longer than the room it has
                if (total(grid) <= WIDTH && WIDTH - total(grid) - GAP.length() < MIN_LAST_COLUMN) {
                    lastUnder = true;
                    squeezed = grid;
                }
            }
            // when even that is too wide, only words longer than their room make lines wider
            widths = squeezed;
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

    /**
     * Words into lines of at most {@code width} characters; a word longer than that (an id, a path)
     * has a line of its own, whole.
     */
    static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        if (text.length() <= width) {
            lines.add(text);
            return lines;
        }
        StringBuilder current = new StringBuilder();
        for (String word : text.split(" ")) {
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

    /** The longest word of each column: narrower than that, a cell would have to split a word. */
    private static int[] longestWords(Table table, int columns) {
        int[] words = new int[columns];
        for (int i = 0; i < columns; i++) {
            words[i] = table.headers().get(i).length(); // the header stays on one line too
        }
        for (List<String> row : table.rows()) {
            for (int i = 0; i < columns && i < row.size(); i++) {
                for (String word : cell(row, i).split(" ")) {
                    words[i] = Math.max(words[i], word.length());
                }
            }
        }
        return words;
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
     * Narrows the widest columns, one character at a time, until the table fits. Only columns wider
     * than {@link #MIN_COLUMN} narrow: first down to that (the last column to {@code lastMin}), then,
     * if the table is still too wide, down to their longest word; a short column (a date, a number)
     * keeps its width. Wider than {@link #WIDTH} when that is not enough.
     */
    private static int[] squeeze(int[] natural, int[] longestWords, int columns, int lastMin) {
        int[] soft = new int[columns];
        int[] hard = new int[columns];
        for (int i = 0; i < columns; i++) {
            boolean narrows = natural[i] > MIN_COLUMN;
            int min = i == columns - 1 ? lastMin : MIN_COLUMN;
            soft[i] = narrows ? Math.min(natural[i], Math.max(longestWords[i], min)) : natural[i];
            hard[i] = narrows ? Math.min(natural[i], Math.max(longestWords[i], 1)) : natural[i];
        }
        int[] widths = squeezeTo(natural.clone(), soft);
        return total(widths) > WIDTH ? squeezeTo(widths, hard) : widths;
    }

    private static int[] squeezeTo(int[] widths, int[] floor) {
        int columns = widths.length;
        while (total(widths) > WIDTH) {
            int widest = -1;
            for (int i = 0; i < columns; i++) {
                if (widths[i] > floor[i] && (widest < 0 || widths[i] > widths[widest])) {
                    widest = i;
                }
            }
            if (widest < 0) {
                return widths;
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
