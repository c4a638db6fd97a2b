package lem.runtime.results;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A set of disjoint, sorted half-open intervals [start, end) of {@link System#nanoTime()} readings. */
final class TimeIntervals {
    private final List<long[]> spans;

    private TimeIntervals(List<long[]> spans) {
        this.spans = spans;
    }

    /** The union of the given intervals (each {start, end}; empty or reversed ones are dropped). */
    static TimeIntervals union(List<long[]> intervals) {
        List<long[]> sorted = new ArrayList<>();
        for (long[] interval : intervals) {
            if (interval[1] > interval[0]) {
                sorted.add(new long[] {interval[0], interval[1]});
            }
        }
        sorted.sort(Comparator.comparingLong(span -> span[0]));
        List<long[]> merged = new ArrayList<>();
        for (long[] span : sorted) {
            long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && span[0] <= last[1]) {
                last[1] = Math.max(last[1], span[1]);
            } else {
                merged.add(span);
            }
        }
        return new TimeIntervals(merged);
    }

    static TimeIntervals of(long start, long end) {
        return union(List.<long[]>of(new long[] {start, end}));
    }

    TimeIntervals intersect(TimeIntervals other) {
        List<long[]> result = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < spans.size() && j < other.spans.size()) {
            long[] a = spans.get(i);
            long[] b = other.spans.get(j);
            long start = Math.max(a[0], b[0]);
            long end = Math.min(a[1], b[1]);
            if (end > start) {
                result.add(new long[] {start, end});
            }
            if (a[1] < b[1]) {
                i++;
            } else {
                j++;
            }
        }
        return new TimeIntervals(result);
    }

    TimeIntervals minus(TimeIntervals other) {
        List<long[]> result = new ArrayList<>();
        for (long[] span : spans) {
            long cursor = span[0];
            for (long[] cut : other.spans) {
                if (cut[1] <= cursor || cut[0] >= span[1]) {
                    continue;
                }
                if (cut[0] > cursor) {
                    result.add(new long[] {cursor, cut[0]});
                }
                cursor = Math.max(cursor, cut[1]);
            }
            if (cursor < span[1]) {
                result.add(new long[] {cursor, span[1]});
            }
        }
        return new TimeIntervals(result);
    }

    long totalNanos() {
        long total = 0;
        for (long[] span : spans) {
            total += span[1] - span[0];
        }
        return total;
    }

    List<long[]> spans() {
        return spans;
    }
}
