package lem.runtime.command;

import java.util.ArrayList;
import java.util.Formatter;
import java.util.List;

/** Renders a {@link Table} as aligned text columns. */
public final class TableFormat {
    private TableFormat() {
    }

    public static String render(Table table) {
        List<String> headers = table.headers();
        int[] widths = new int[headers.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = headers.get(i).length();
        }
        for (List<String> row : table.rows()) {
            for (int i = 0; i < widths.length && i < row.size(); i++) {
                widths[i] = Math.max(widths[i], cell(row, i).length());
            }
        }
        StringBuilder out = new StringBuilder();
        try (Formatter f = new Formatter(out)) {
            if (table.title() != null && !table.title().isEmpty()) {
                f.format("%s%n", table.title());
            }
            line(f, headers, widths);
            List<String> rule = new ArrayList<>();
            for (int w : widths) {
                rule.add("-".repeat(w));
            }
            line(f, rule, widths);
            for (List<String> row : table.rows()) {
                line(f, row, widths);
            }
            if (table.rows().isEmpty()) {
                f.format("(none)%n");
            }
            for (String note : table.footer()) {
                f.format("%s%n", note);
            }
        }
        return out.toString();
    }

    private static void line(Formatter f, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < widths.length; i++) {
            String cell = cell(cells, i);
            line.append(i == widths.length - 1 ? cell : String.format("%-" + widths[i] + "s  ", cell));
        }
        f.format("%s%n", line.toString().stripTrailing());
    }

    private static String cell(List<String> row, int i) {
        String s = i < row.size() ? row.get(i) : "";
        return s == null ? "" : s.replace('\n', ' ');
    }
}
