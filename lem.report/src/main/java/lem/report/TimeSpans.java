package lem.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Unions and differences of time spans {@code [from, to]}, for shading phases without overlap. */
final class TimeSpans {
    private TimeSpans() {
    }

    /** The spans merged where they overlap or touch, in time order; empty spans dropped. */
    static List<double[]> union(List<double[]> spans) {
        List<double[]> sorted = new ArrayList<>();
        for (double[] s : spans) {
            if (s[1] > s[0]) {
                sorted.add(new double[] {s[0], s[1]});
            }
        }
        sorted.sort(Comparator.comparingDouble(s -> s[0]));
        List<double[]> merged = new ArrayList<>();
        for (double[] s : sorted) {
            double[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && s[0] <= last[1]) {
                last[1] = Math.max(last[1], s[1]);
            } else {
                merged.add(s);
            }
        }
        return merged;
    }

    /** The parts of {@code spans} (a union) not covered by {@code cut} (a union). */
    static List<double[]> subtract(List<double[]> spans, List<double[]> cut) {
        List<double[]> out = new ArrayList<>();
        for (double[] s : spans) {
            double from = s[0];
            for (double[] c : cut) {
                if (c[1] <= from || c[0] >= s[1]) {
                    continue;
                }
                if (c[0] > from) {
                    out.add(new double[] {from, c[0]});
                }
                from = Math.max(from, c[1]);
            }
            if (from < s[1]) {
                out.add(new double[] {from, s[1]});
            }
        }
        return out;
    }
}
