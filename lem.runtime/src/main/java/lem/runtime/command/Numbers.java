package lem.runtime.command;

import java.util.Locale;

/**
 * The one rule for the numbers people read: {@value #SIGNIFICANT} significant figures, plain
 * notation from 0.001 to 10 million and scientific outside it, and "n/a" for an unknown value.
 * Numbers shown together (one row, one distribution) share the format of the largest of them, so a
 * row never mixes notations or decimals.
 */
public final class Numbers {
    public static final int SIGNIFICANT = 4;
    public static final String UNKNOWN = "n/a";
    private static final double PLAIN_MIN = 1e-3;
    private static final double PLAIN_MAX = 1e7;

    private Numbers() {
    }

    /** One number on its own. */
    public static String format(double value) {
        return formatAll(new double[] {value})[0];
    }

    /** One number, or {@value #UNKNOWN} for null. */
    public static String format(Double value) {
        return value == null ? UNKNOWN : format(value.doubleValue());
    }

    private static String[] formatAll(double[] values) {
        double largest = 0;
        for (double v : values) {
            if (Double.isFinite(v)) {
                largest = Math.max(largest, Math.abs(v));
            }
        }
        String format;
        if (largest == 0) {
            format = "%.0f";
        } else if (largest >= PLAIN_MAX || largest < PLAIN_MIN) {
            format = "%." + (SIGNIFICANT - 1) + "e";
        } else {
            int magnitude = (int) Math.floor(Math.log10(largest));
            format = "%." + Math.max(0, SIGNIFICANT - 1 - magnitude) + "f";
        }
        String[] out = new String[values.length];
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            out[i] = Double.isNaN(v) ? UNKNOWN : String.format(Locale.ROOT, format, v);
        }
        return out;
    }

    /**
     * Numbers shown side by side, all in the format the largest of them needs; null or NaN ones as
     * {@value #UNKNOWN}.
     */
    public static String[] together(Double... values) {
        double[] plain = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            plain[i] = values[i] == null ? Double.NaN : values[i];
        }
        return formatAll(plain);
    }
}
