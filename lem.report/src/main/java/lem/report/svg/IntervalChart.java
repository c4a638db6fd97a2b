package lem.report.svg;

import java.util.ArrayList;
import java.util.List;

import lem.runtime.command.Numbers;

/**
 * One metric per experiment: a row per experiment (its name on the left, so long names need no
 * rotation), a dot at its value and a bar over its 95% confidence interval when it has one. The
 * value axis starts at 0 unless the values span decades (then it is a log axis).
 */
public final class IntervalChart {
    /** One experiment's value and interval (low and high null when there is none). */
    public record Row(String name, double value, Double low, Double high) {
    }

    static final int MAX_NAME_CHARS = 48;
    private static final double ROW_PX = 26;

    private final String id;
    private final String title;
    private final String metric;
    private final String unit;
    private final List<Row> rows = new ArrayList<>();

    public IntervalChart(String id, String title, String metric, String unit) {
        this.id = id;
        this.title = title;
        this.metric = metric;
        this.unit = unit;
    }

    public IntervalChart row(String name, double value, Double low, Double high) {
        rows.add(new Row(name, value, low, high));
        return this;
    }

    public String render(double widthPx) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Row r : rows) {
            lo = Math.min(lo, r.low() == null ? r.value() : Math.min(r.value(), r.low()));
            hi = Math.max(hi, r.high() == null ? r.value() : Math.max(r.value(), r.high()));
        }
        if (rows.isEmpty()) {
            lo = 0;
            hi = 1;
        }
        boolean log = lo > 0 && hi / lo >= Axis.LOG_SPAN;
        Axis axis = log ? Axis.log(metric, unit, lo, hi, 10) : Axis.linear(metric, unit, Math.min(0, lo), Math.max(0, hi), 8);
        double nameWidth = 0;
        for (Row r : rows) {
            nameWidth = Math.max(nameWidth, Axis.labelWidth(shortName(r.name()), Chart.FONT_PX));
        }
        double left = 16 + nameWidth;
        double right = widthPx - 20;
        double top = 34;
        double bottom = top + ROW_PX * Math.max(1, rows.size()) + 4;
        double height = bottom + 46;
        axis = axis.fit(right - left, Chart.FONT_PX, true);
        Svg svg = new Svg(id, widthPx, height);
        svg.text(widthPx / 2, 20, title, "middle", Chart.TITLE_PX, 0, "title");
        for (Axis.Tick t : axis.ticks()) {
            double px = axis.position(t.value(), left, right);
            svg.line(px, top, px, bottom, "#e8e8e8", 1, "grid");
            svg.line(px, bottom, px, bottom + 5, "#444444", 1, "tick");
            svg.text(px, bottom + 18, t.label(), "middle", Chart.FONT_PX, 0, "tick");
        }
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            double py = top + ROW_PX * (i + 0.5) + 2;
            svg.text(left - 8, py + Chart.FONT_PX * 0.35, shortName(r.name()), "end", Chart.FONT_PX, 0, "category");
            String color = Chart.PALETTE.get(0);
            String ci = "";
            if (r.low() != null && r.high() != null && axis.drawable(r.low()) && axis.drawable(r.high())) {
                double a = axis.position(r.low(), left, right);
                double b = axis.position(r.high(), left, right);
                svg.path("M" + Svg.num(a) + "," + Svg.num(py) + "H" + Svg.num(b) + "M" + Svg.num(a) + "," + Svg.num(py - 6) + "V"
                        + Svg.num(py + 6) + "M" + Svg.num(b) + "," + Svg.num(py - 6) + "V" + Svg.num(py + 6), color, 1.5, "none", null,
                        "mark", null);
                ci = ", 95% CI [" + Numbers.format(r.low()) + ", " + Numbers.format(r.high()) + "]";
            }
            if (axis.drawable(r.value())) {
                svg.circle(axis.position(r.value(), left, right), py, 5, color, color, "mark",
                        r.name() + ": " + Numbers.format(r.value()) + " " + unit + ci);
            }
        }
        svg.line(left, bottom, right, bottom, "#444444", 1, "axis");
        svg.line(left, top, left, bottom, "#444444", 1, "axis");
        svg.text((left + right) / 2, height - 10, axis.title() + "; bars: 95% CI across cycles", "middle", Chart.FONT_PX, 0,
                "axis-title");
        return svg.finish();
    }

    static String shortName(String name) {
        return name.length() <= MAX_NAME_CHARS ? name : name.substring(0, MAX_NAME_CHARS - 1) + "\u2026";
    }
}
