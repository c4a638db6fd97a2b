package lem.runtime.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The Pareto front of points on two metrics, each minimised or maximised: a point is on the front
 * when no other point is at least as good on both metrics and better on one. Every point says why:
 * on the front, the best of one metric or the trade it makes against its neighbours on the front;
 * off it, which points dominate it.
 */
public final class ParetoFront {
    private ParetoFront() {
    }

    /** Which way a metric is better. */
    public enum Goal {
        MIN, MAX;

        boolean better(double a, double b) {
            return this == MIN ? a < b : a > b;
        }

        boolean atLeastAsGood(double a, double b) {
            return this == MIN ? a <= b : a >= b;
        }

        public String word() {
            return this == MIN ? "lowest" : "highest";
        }
    }

    /** A point: an experiment and its two values. */
    public record Point(String id, double x, double y) {
    }

    /**
     * A point with its verdict.
     *
     * @param point       the point
     * @param onFront     not dominated
     * @param dominatedBy ids of the points that dominate it, empty on the front
     * @param why         in words
     */
    public record Entry(Point point, boolean onFront, List<String> dominatedBy, String why) {
    }

    /** True when a is at least as good as b on both metrics and better on one. */
    static boolean dominates(Point a, Point b, Goal goalX, Goal goalY) {
        return goalX.atLeastAsGood(a.x(), b.x()) && goalY.atLeastAsGood(a.y(), b.y())
                && (goalX.better(a.x(), b.x()) || goalY.better(a.y(), b.y()));
    }

    /** Every point with its verdict: the front first, ordered from the best x, then the rest by id. */
    public static List<Entry> of(List<Point> points, String nameX, Goal goalX, String nameY, Goal goalY) {
        List<Point> front = new ArrayList<>();
        List<Entry> dominated = new ArrayList<>();
        for (Point p : points) {
            List<String> by = points.stream().filter(q -> q != p && dominates(q, p, goalX, goalY)).map(Point::id).toList();
            if (by.isEmpty()) {
                front.add(p);
            } else {
                dominated.add(new Entry(p, false, by, "dominated by " + String.join(", ", by)));
            }
        }
        Comparator<Point> byX = Comparator.comparingDouble(Point::x);
        front.sort(goalX == Goal.MIN ? byX.thenComparing(Point::id) : byX.reversed().thenComparing(Point::id));
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < front.size(); i++) {
            Point p = front.get(i);
            List<String> reasons = new ArrayList<>();
            if (i == 0) {
                reasons.add(goalX.word() + " " + nameX);
            }
            if (i == front.size() - 1) {
                reasons.add(goalY.word() + " " + nameY);
            }
            if (i > 0) {
                // the previous point has the better x, so this one must have the better y
                Point previous = front.get(i - 1);
                reasons.add(String.format(Locale.ROOT, "vs %s: %s %s, %s %s", previous.id(), change(p.y(), previous.y()), nameY,
                        change(p.x(), previous.x()), nameX));
            }
            if (reasons.isEmpty()) {
                reasons.add("no point is better on both");
            }
            entries.add(new Entry(p, true, List.of(), String.join("; ", reasons)));
        }
        dominated.sort(Comparator.comparing(e -> e.point().id()));
        entries.addAll(dominated);
        return entries;
    }

    private static String change(double value, double reference) {
        if (reference == 0) {
            return String.format(Locale.ROOT, "%+.4g", value - reference);
        }
        return String.format(Locale.ROOT, "%+.1f%%", (value - reference) / Math.abs(reference) * 100);
    }
}
