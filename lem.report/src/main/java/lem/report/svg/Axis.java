package lem.report.svg;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One axis of a figure: its range, its scale (linear, or logarithmic when the data span decades),
 * ticks at round values (1, 2 or 5 x 10^k apart on a linear axis; powers of ten, with 2 and 5
 * between them when there are few decades, on a log axis), tick labels that all share one format,
 * and a title with the unit. {@link #fit} drops ticks until their labels do not overlap at the
 * axis's length in pixels.
 */
public final class Axis {
    /** How values map to positions. */
    public enum Scale {
        LINEAR, LOG
    }

    /** A tick: its value and its label. */
    public record Tick(double value, String label) {
    }

    /** A log axis is chosen when the largest value is at least this many times the smallest. */
    public static final double LOG_SPAN = 100;
    /** Approximate width of one character of the tick font, as a share of the font size. */
    static final double CHAR_WIDTH_EM = 0.6;

    private final String label;
    private final String unit;
    private final Scale scale;
    private final double min;
    private final double max;
    private final List<Tick> ticks;

    private Axis(String label, String unit, Scale scale, double min, double max, List<Tick> ticks) {
        this.label = label;
        this.unit = unit;
        this.scale = scale;
        this.min = min;
        this.max = max;
        this.ticks = List.copyOf(ticks);
    }

    /**
     * A linear axis over [dataMin, dataMax] widened to round ticks, with at most {@code maxTicks}
     * ticks (3 when 2 are asked and a round value lies inside the range: a tick on each side of it
     * and on it beats a step far larger than the data). An empty range (one value) is widened
     * around that value.
     */
    public static Axis linear(String label, String unit, double dataMin, double dataMax, int maxTicks) {
        checkRange(label, dataMin, dataMax);
        if (maxTicks < 2) {
            throw new IllegalArgumentException("an axis needs at least 2 ticks, not " + maxTicks);
        }
        double lo = dataMin;
        double hi = dataMax;
        if (hi == lo) {
            double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
            lo -= pad;
            hi += pad;
        }
        double step = niceStep((hi - lo) / (maxTicks - 1));
        double start = Math.floor(lo / step + 1e-9) * step;
        double end = Math.ceil(hi / step - 1e-9) * step;
        // the widened range can need one tick more than asked: take the next round step then (a range
        // across 0 keeps 3 ticks however large the step, so stop once the step exceeds the range)
        while (Math.round((end - start) / step) + 1 > maxTicks && step <= hi - lo) {
            step = niceStep(step * 1.0001);
            start = Math.floor(lo / step + 1e-9) * step;
            end = Math.ceil(hi / step - 1e-9) * step;
        }
        long count = Math.round((end - start) / step);
        List<Double> values = new ArrayList<>();
        for (long i = 0; i <= count; i++) {
            double v = start + i * step;
            values.add(Math.abs(v) < step * 1e-9 ? 0.0 : v); // no "-0"
        }
        return new Axis(label, unit, Scale.LINEAR, start, end, labelled(values, step));
    }

    /**
     * A log axis from the power of ten at or below dataMin to the one at or above dataMax; ticks at
     * every power of ten (every second one, and so on, past {@code maxTicks}), with 2 and 5 between
     * them when they fit within {@code maxTicks}.
     */
    public static Axis log(String label, String unit, double dataMin, double dataMax, int maxTicks) {
        checkRange(label, dataMin, dataMax);
        if (dataMin <= 0) {
            throw new IllegalArgumentException("a log axis needs values above 0; " + label + " has " + dataMin);
        }
        int lowExp = (int) Math.floor(Math.log10(dataMin) + 1e-9);
        int highExp = (int) Math.ceil(Math.log10(dataMax) - 1e-9);
        if (highExp == lowExp) {
            highExp++;
        }
        int decades = highExp - lowExp;
        List<Double> values = new ArrayList<>();
        if (3 * decades + 1 <= maxTicks) {
            for (int e = lowExp; e < highExp; e++) {
                for (int m : new int[] {1, 2, 5}) {
                    values.add(m * Math.pow(10, e));
                }
            }
            values.add(Math.pow(10, highExp));
        } else {
            int every = Math.max(1, (int) Math.ceil(decades / (double) Math.max(1, maxTicks - 1)));
            for (int e = lowExp; e <= highExp; e += every) {
                values.add(Math.pow(10, e));
            }
        }
        List<Tick> ticks = new ArrayList<>();
        boolean scientific = lowExp < -3 || highExp >= 7;
        for (double v : values) {
            // each label as short as its value allows: 0.01, 0.1, 1, 10
            int decimals = Math.max(0, (int) -Math.floor(Math.log10(v) + 1e-9));
            ticks.add(new Tick(v, scientific ? String.format(Locale.ROOT, "%.0e", v)
                    : String.format(Locale.ROOT, "%." + decimals + "f", v)));
        }
        return new Axis(label, unit, Scale.LOG, Math.pow(10, lowExp), Math.pow(10, highExp), ticks);
    }

    /** Log when every value is above 0 and the largest is at least {@link #LOG_SPAN} times the smallest, else linear. */
    public static Axis auto(String label, String unit, double dataMin, double dataMax, int maxTicks) {
        if (dataMin > 0 && dataMax / dataMin >= LOG_SPAN) {
            return log(label, unit, dataMin, dataMax, maxTicks);
        }
        return linear(label, unit, dataMin, dataMax, maxTicks);
    }

    /**
     * This axis with as many ticks as fit along {@code lengthPx} at {@code fontPx}: along a
     * horizontal axis labels must not overlap side by side (with a gap of one character), along a
     * vertical one they must be at least 1.5 lines apart.
     */
    public Axis fit(double lengthPx, double fontPx, boolean horizontal) {
        Axis axis = this;
        int maxTicks = ticks.size();
        while (maxTicks > 2 && !axis.labelsFit(lengthPx, fontPx, horizontal)) {
            maxTicks--;
            axis = scale == Scale.LOG ? log(label, unit, min, max, maxTicks) : linear(label, unit, min, max, maxTicks);
        }
        return axis;
    }

    /** True when no two neighbouring tick labels overlap at that length. */
    public boolean labelsFit(double lengthPx, double fontPx, boolean horizontal) {
        for (int i = 1; i < ticks.size(); i++) {
            double gap = Math.abs(position(ticks.get(i).value(), 0, lengthPx) - position(ticks.get(i - 1).value(), 0, lengthPx));
            double needed = horizontal
                    ? (labelWidth(ticks.get(i).label(), fontPx) + labelWidth(ticks.get(i - 1).label(), fontPx)) / 2 + fontPx * CHAR_WIDTH_EM
                    : fontPx * 1.5;
            if (gap < needed) {
                return false;
            }
        }
        return true;
    }

    /** Approximate width of a text at that font size. */
    public static double labelWidth(String text, double fontPx) {
        return text.length() * fontPx * CHAR_WIDTH_EM;
    }

    /** The position of a value between the pixel positions of the axis's two ends. */
    public double position(double value, double fromPx, double toPx) {
        double share;
        if (scale == Scale.LOG) {
            share = (Math.log10(value) - Math.log10(min)) / (Math.log10(max) - Math.log10(min));
        } else {
            share = (value - min) / (max - min);
        }
        return fromPx + share * (toPx - fromPx);
    }

    /** True when a value can be drawn on this axis (a log axis cannot draw 0 or below). */
    public boolean drawable(double value) {
        return Double.isFinite(value) && (scale == Scale.LINEAR || value > 0);
    }

    /** The title: the label and the unit in parentheses, e.g. {@code power (W)}. */
    public String title() {
        String text = unit == null || unit.isEmpty() ? label : label + " (" + unit + ")";
        return scale == Scale.LOG ? text + ", log scale" : text;
    }

    public Scale scale() {
        return scale;
    }

    public double min() {
        return min;
    }

    public double max() {
        return max;
    }

    public List<Tick> ticks() {
        return ticks;
    }

    private static void checkRange(String label, double lo, double hi) {
        if (!Double.isFinite(lo) || !Double.isFinite(hi) || hi < lo) {
            throw new IllegalArgumentException("axis " + label + ": no finite range [" + lo + ", " + hi + "]");
        }
    }

    /** The smallest step of 1, 2 or 5 x 10^k that is at least {@code raw}. */
    static double niceStep(double raw) {
        if (!(raw > 0) || !Double.isFinite(raw)) {
            throw new IllegalArgumentException("a tick step must be above 0, not " + raw);
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double fraction = raw / magnitude;
        double nice;
        if (fraction <= 1 + 1e-9) {
            nice = 1;
        } else if (fraction <= 2 + 1e-9) {
            nice = 2;
        } else if (fraction <= 5 + 1e-9) {
            nice = 5;
        } else {
            nice = 10;
        }
        return nice * magnitude;
    }

    /**
     * Labels in one shared format, as the console writes numbers: plain from 0.001 to 10 million
     * with as many decimals as the finest tick needs, scientific outside that range.
     */
    static List<Tick> labelled(List<Double> values, double finest) {
        double largest = 0;
        double smallest = Double.MAX_VALUE;
        for (double v : values) {
            largest = Math.max(largest, Math.abs(v));
            if (v != 0) {
                smallest = Math.min(smallest, Math.abs(v));
            }
        }
        double resolution = Math.min(Math.abs(finest) == 0 ? smallest : Math.abs(finest), smallest);
        boolean scientific = largest >= 1e7 || (largest > 0 && resolution < 1e-3);
        List<Tick> ticks = new ArrayList<>();
        if (scientific) {
            // as few mantissa digits as keep the labels distinct
            for (int digits = 0; digits <= 6; digits++) {
                ticks.clear();
                for (double v : values) {
                    ticks.add(new Tick(v, v == 0 ? "0" : String.format(Locale.ROOT, "%." + digits + "e", v)));
                }
                if (distinct(ticks)) {
                    break;
                }
            }
            return ticks;
        }
        int decimals = Math.max(0, (int) -Math.floor(Math.log10(resolution) + 1e-9));
        for (double v : values) {
            ticks.add(new Tick(v, String.format(Locale.ROOT, "%." + decimals + "f", v)));
        }
        return ticks;
    }

    private static boolean distinct(List<Tick> ticks) {
        return ticks.stream().map(Tick::label).distinct().count() == ticks.size();
    }
}
