package lem.report.svg;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A figure with a numeric x and y axis: lines, points, shaded x spans, horizontal reference lines
 * and horizontal error bars, a title, axis titles with units, and a legend to the right of the plot
 * (one entry per label). The axes are fitted to the plot's size so that tick labels never overlap.
 * Data marks carry the class {@code mark}.
 */
public final class Chart {
    /** Colour-blind-safe colours (Okabe and Ito), in the order series take them. */
    public static final List<String> PALETTE = List.of("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
            "#56B4E9", "#F0E442", "#000000");
    static final double FONT_PX = 12;
    static final double TITLE_PX = 14;

    private record Layer(String kind, String label, String color, double[] xs, double[] ys, double[] extra,
            List<String> titles) {
    }

    private final String id;
    private final String title;
    private final double widthPx;
    private final double heightPx;
    private Axis x;
    private Axis y;
    private final List<Layer> layers = new ArrayList<>();
    private final List<String[]> legend = new ArrayList<>(); // label, colour, kind

    public Chart(String id, String title, double widthPx, double heightPx) {
        this.id = id;
        this.title = title;
        this.widthPx = widthPx;
        this.heightPx = heightPx;
    }

    public Chart axes(Axis xAxis, Axis yAxis) {
        this.x = xAxis;
        this.y = yAxis;
        return this;
    }

    /** A polyline through the points in order; points the y axis cannot draw break the line. */
    public Chart line(String label, String color, double[] xs, double[] ys) {
        return add(new Layer("line", label, color, xs, ys, null, null));
    }

    /** A step line: each y holds until the next x (an empirical CDF). */
    public Chart steps(String label, String color, double[] xs, double[] ys) {
        return add(new Layer("steps", label, color, xs, ys, null, null));
    }

    /** Points; {@code titles} (one per point, may be null) show on hover. */
    public Chart points(String label, String color, double[] xs, double[] ys, List<String> titles, boolean hollow) {
        return add(new Layer(hollow ? "hollow" : "points", label, color, xs, ys, null, titles));
    }

    /** Vertical bands over [xs[i], ys[i]] (x from, x to), full height, translucent. */
    public Chart spans(String label, String color, double[] from, double[] to) {
        return add(new Layer("spans", label, color, from, to, null, null));
    }

    /** A dashed horizontal line at y across the plot. */
    public Chart horizontal(String label, String color, double yValue) {
        return add(new Layer("hline", label, color, new double[0], new double[] {yValue}, null, null));
    }

    /** Horizontal error bars at ys[i] from low[i] to high[i] (NaN: none for that point). */
    public Chart errorBars(String color, double[] ys, double[] low, double[] high) {
        return add(new Layer("errors", null, color, low, ys, high, null));
    }

    private Chart add(Layer layer) {
        if (layer.xs().length != layer.ys().length && !layer.kind().equals("hline")) {
            throw new IllegalArgumentException(id + ": " + layer.xs().length + " x values but " + layer.ys().length + " y values");
        }
        layers.add(layer);
        if (layer.label() != null && legend.stream().noneMatch(e -> e[0].equals(layer.label()))) {
            legend.add(new String[] {layer.label(), layer.color(), layer.kind()});
        }
        return this;
    }

    /** The figure as an SVG document. */
    public String render() {
        if (x == null || y == null) {
            throw new IllegalStateException(id + ": axes not set");
        }
        double legendWidth = 0;
        for (String[] entry : legend) {
            legendWidth = Math.max(legendWidth, Axis.labelWidth(entry[0], FONT_PX) + 34);
        }
        legendWidth = Math.min(legendWidth, widthPx * 0.4);
        double yLabelWidth = 0;
        for (Axis.Tick t : y.ticks()) {
            yLabelWidth = Math.max(yLabelWidth, Axis.labelWidth(t.label(), FONT_PX));
        }
        double left = 30 + yLabelWidth + 10;
        double right = widthPx - 15 - legendWidth;
        double top = 34;
        double bottom = heightPx - 46;
        Axis xa = x.fit(right - left, FONT_PX, true);
        Axis ya = y.fit(bottom - top, FONT_PX, false);

        Svg svg = new Svg(id, widthPx, heightPx);
        svg.text(widthPx / 2, 20, title, "middle", TITLE_PX, 0, "title");
        // grid and ticks
        for (Axis.Tick t : ya.ticks()) {
            double py = ya.position(t.value(), bottom, top);
            svg.line(left, py, right, py, "#e4e4e4", 1, "grid");
            svg.text(left - 6, py + FONT_PX * 0.35, t.label(), "end", FONT_PX, 0, "tick");
        }
        for (Axis.Tick t : xa.ticks()) {
            double px = xa.position(t.value(), left, right);
            svg.line(px, top, px, bottom, "#f0f0f0", 1, "grid");
            svg.line(px, bottom, px, bottom + 5, "#444444", 1, "tick");
            svg.text(px, bottom + 18, t.label(), "middle", FONT_PX, 0, "tick");
        }
        for (Layer layer : layers) {
            draw(svg, layer, xa, ya, left, right, top, bottom);
        }
        svg.line(left, bottom, right, bottom, "#444444", 1, "axis");
        svg.line(left, top, left, bottom, "#444444", 1, "axis");
        svg.text((left + right) / 2, heightPx - 10, xa.title(), "middle", FONT_PX, 0, "axis-title");
        svg.text(14, (top + bottom) / 2, ya.title(), "middle", FONT_PX, -90, "axis-title");
        double ly = top + 8;
        for (String[] entry : legend) {
            double lx = right + 12;
            switch (entry[2]) {
            case "spans" -> svg.rect(lx, ly - 8, 18, 12, entry[1], 0.35, "legend", null);
            case "points", "hollow" -> svg.circle(lx + 9, ly - 2, 4, entry[2].equals("hollow") ? "#ffffff" : entry[1], entry[1],
                    "legend", null);
            default -> svg.line(lx, ly - 2, lx + 18, ly - 2, entry[1], 2, "legend");
            }
            String text = entry[0];
            double room = widthPx - lx - 26;
            int chars = (int) (room / (FONT_PX * Axis.CHAR_WIDTH_EM));
            if (text.length() > chars && chars > 3) {
                text = text.substring(0, chars - 1) + "\u2026";
            }
            svg.text(lx + 24, ly + 2, text, "start", FONT_PX, 0, "legend");
            ly += 18;
        }
        return svg.finish();
    }

    private static void draw(Svg svg, Layer layer, Axis xa, Axis ya, double left, double right, double top, double bottom) {
        switch (layer.kind()) {
        case "line", "steps" -> {
            StringBuilder d = new StringBuilder();
            boolean pen = false;
            double lastY = Double.NaN;
            for (int i = 0; i < layer.xs().length; i++) {
                if (!xa.drawable(layer.xs()[i]) || !ya.drawable(layer.ys()[i])) {
                    pen = false;
                    continue;
                }
                double px = clamp(xa.position(layer.xs()[i], left, right), left, right);
                double py = clamp(ya.position(layer.ys()[i], bottom, top), top, bottom);
                if (pen && layer.kind().equals("steps")) {
                    d.append('L').append(Svg.num(px)).append(',').append(Svg.num(lastY));
                }
                d.append(pen ? 'L' : 'M').append(Svg.num(px)).append(',').append(Svg.num(py));
                pen = true;
                lastY = py;
            }
            if (d.length() > 0) {
                svg.path(d.toString(), layer.color(), 1.6, "none", null, "mark", layer.label());
            }
        }
        case "points", "hollow" -> {
            for (int i = 0; i < layer.xs().length; i++) {
                if (xa.drawable(layer.xs()[i]) && ya.drawable(layer.ys()[i])) {
                    svg.circle(xa.position(layer.xs()[i], left, right), ya.position(layer.ys()[i], bottom, top), 5,
                            layer.kind().equals("hollow") ? "#ffffff" : layer.color(), layer.color(), "mark",
                            layer.titles() == null ? layer.label() : layer.titles().get(i));
                }
            }
        }
        case "spans" -> {
            for (int i = 0; i < layer.xs().length; i++) {
                double a = clamp(xa.position(layer.xs()[i], left, right), left, right);
                double b = clamp(xa.position(layer.ys()[i], left, right), left, right);
                svg.rect(Math.min(a, b), top, Math.abs(b - a), bottom - top, layer.color(), 0.18, "mark", layer.label());
            }
        }
        case "hline" -> {
            double py = ya.position(layer.ys()[0], bottom, top);
            if (ya.drawable(layer.ys()[0]) && py >= top - 0.01 && py <= bottom + 0.01) {
                svg.path("M" + Svg.num(left) + "," + Svg.num(py) + "H" + Svg.num(right), layer.color(), 1.4, "none", "6,4",
                        "mark", layer.label() + ": " + String.format(Locale.ROOT, "%.4g", layer.ys()[0]));
            }
        }
        case "errors" -> {
            for (int i = 0; i < layer.ys().length; i++) {
                double lo = layer.xs()[i];
                double hi = layer.extra()[i];
                if (!xa.drawable(lo) || !xa.drawable(hi) || !ya.drawable(layer.ys()[i])) {
                    continue;
                }
                double py = ya.position(layer.ys()[i], bottom, top);
                double a = clamp(xa.position(lo, left, right), left, right);
                double b = clamp(xa.position(hi, left, right), left, right);
                svg.path("M" + Svg.num(a) + "," + Svg.num(py) + "H" + Svg.num(b) + "M" + Svg.num(a) + "," + Svg.num(py - 5) + "V"
                        + Svg.num(py + 5) + "M" + Svg.num(b) + "," + Svg.num(py - 5) + "V" + Svg.num(py + 5), layer.color(), 1.4,
                        "none", null, "mark", null);
            }
        }
        default -> throw new IllegalStateException("unknown layer " + layer.kind());
        }
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
