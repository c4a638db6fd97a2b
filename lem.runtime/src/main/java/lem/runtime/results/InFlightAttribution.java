package lem.runtime.results;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Shares a device's energy over a work window among the requests in flight, and between prefill
 * and decode, so that the parts add up to the whole: the window is cut at every request's start,
 * first token and end; each slice's energy goes in equal parts to the requests in flight during it
 * (a request is in prefill from its start to its first token, in decode from there to its end; a
 * request that waits in a queue is not yet in flight), and each part to that request's phase. A
 * slice with no request in flight is "other". Per-request energies plus "other" add up to the
 * window's energy, and so do prefill plus decode plus other.
 */
final class InFlightAttribution {
    static final String RULE = "each instant's energy shared equally among the requests in flight then (started, "
            + "not yet ended; a queued request is not in flight), each share going to that request's phase: prefill "
            + "from its start to its first token, decode from there to its end; instants with no request in flight "
            + "are other; per-request energies plus other, and prefill plus decode plus other, each add up to the "
            + "window's energy";

    /** Energy between two instants, J. */
    interface EnergyProfile {
        double joules(long fromNanos, long toNanos);
    }

    /**
     * One device's (or the sum of devices') energy over a window, shared out.
     *
     * @param prefillJoules    the prefill shares
     * @param decodeJoules     the decode shares
     * @param otherJoules      slices with no request in flight
     * @param prefillNanos     time, each slice weighted by the share of its requests in prefill
     * @param decodeNanos      the same for decode
     * @param otherNanos       time with no request in flight
     * @param joulesByRequest  each request's share, by request id
     */
    record Shares(double prefillJoules, double decodeJoules, double otherJoules, long prefillNanos, long decodeNanos,
            long otherNanos, Map<String, Double> joulesByRequest) {
    }

    /**
     * The interval in which the number of requests in flight is at its highest (from the first
     * instant it reaches it to the last instant it leaves it): the ML.ENERGY benchmark's steady
     * state, without ramp-up and drain.
     */
    record Plateau(int inFlight, long startNanos, long endNanos) {
    }

    private InFlightAttribution() {
    }

    private record Slice(long startNanos, long endNanos, Set<Integer> prefill, Set<Integer> decode) {
        int inFlight() {
            return prefill.size() + decode.size();
        }
    }

    static Shares share(List<RequestTimeline> requests, long windowStartNanos, long windowEndNanos, EnergyProfile energy) {
        double prefill = 0;
        double decode = 0;
        double other = 0;
        double prefillNanos = 0;
        double decodeNanos = 0;
        long otherNanos = 0;
        Map<String, Double> byRequest = new LinkedHashMap<>();
        requests.forEach(r -> byRequest.put(r.requestId(), 0.0));
        for (Slice slice : slices(requests, windowStartNanos, windowEndNanos)) {
            double joules = energy.joules(slice.startNanos(), slice.endNanos());
            long nanos = slice.endNanos() - slice.startNanos();
            int n = slice.inFlight();
            if (n == 0) {
                other += joules;
                otherNanos += nanos;
                continue;
            }
            prefill += joules * slice.prefill().size() / n;
            decode += joules * slice.decode().size() / n;
            prefillNanos += (double) nanos * slice.prefill().size() / n;
            decodeNanos += (double) nanos * slice.decode().size() / n;
            for (int i : slice.prefill()) {
                byRequest.merge(requests.get(i).requestId(), joules / n, Double::sum);
            }
            for (int i : slice.decode()) {
                byRequest.merge(requests.get(i).requestId(), joules / n, Double::sum);
            }
        }
        return new Shares(prefill, decode, other, Math.round(prefillNanos), Math.round(decodeNanos), otherNanos, byRequest);
    }

    /** The steady state of a window, or null when no request was in flight. */
    static Plateau plateau(List<RequestTimeline> requests, long windowStartNanos, long windowEndNanos) {
        List<Slice> slices = slices(requests, windowStartNanos, windowEndNanos);
        int most = slices.stream().mapToInt(Slice::inFlight).max().orElse(0);
        if (most == 0) {
            return null;
        }
        long start = Long.MAX_VALUE;
        long end = Long.MIN_VALUE;
        for (Slice slice : slices) {
            if (slice.inFlight() == most) {
                start = Math.min(start, slice.startNanos());
                end = Math.max(end, slice.endNanos());
            }
        }
        return new Plateau(most, start, end);
    }

    /** The window cut at every phase change, each piece with the requests in prefill and in decode. */
    private static List<Slice> slices(List<RequestTimeline> requests, long windowStartNanos, long windowEndNanos) {
        // per request: prefill [start, first token) (or [start, end) when no token came), decode [first token, end)
        long[] cuts = new long[requests.size() * 3 + 2];
        int n = 0;
        cuts[n++] = windowStartNanos;
        cuts[n++] = windowEndNanos;
        for (RequestTimeline r : requests) {
            cuts[n++] = clamp(r.startNanos(), windowStartNanos, windowEndNanos);
            cuts[n++] = clamp(r.hasFirstToken() ? r.firstTokenNanos() : r.endNanos(), windowStartNanos, windowEndNanos);
            cuts[n++] = clamp(r.endNanos(), windowStartNanos, windowEndNanos);
        }
        long[] times = Arrays.stream(cuts, 0, n).sorted().distinct().toArray();
        // sweep: requests enter and leave their phases at the cuts
        List<long[]> changes = new ArrayList<>(); // {time, request, phase 0 prefill / 1 decode, +1 enter / -1 leave}
        for (int i = 0; i < requests.size(); i++) {
            RequestTimeline r = requests.get(i);
            long firstToken = r.hasFirstToken() ? r.firstTokenNanos() : r.endNanos();
            addPhase(changes, i, 0, r.startNanos(), firstToken, windowStartNanos, windowEndNanos);
            if (r.hasFirstToken()) {
                addPhase(changes, i, 1, r.firstTokenNanos(), r.endNanos(), windowStartNanos, windowEndNanos);
            }
        }
        changes.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[3], b[3]));
        Set<Integer> prefill = new LinkedHashSet<>();
        Set<Integer> decode = new LinkedHashSet<>();
        List<Slice> slices = new ArrayList<>();
        int next = 0;
        for (int t = 0; t + 1 < times.length; t++) {
            while (next < changes.size() && changes.get(next)[0] <= times[t]) {
                long[] change = changes.get(next++);
                Set<Integer> phase = change[2] == 0 ? prefill : decode;
                if (change[3] > 0) {
                    phase.add((int) change[1]);
                } else {
                    phase.remove((int) change[1]);
                }
            }
            slices.add(new Slice(times[t], times[t + 1], Set.copyOf(prefill), Set.copyOf(decode)));
        }
        return slices;
    }

    private static void addPhase(List<long[]> changes, int request, int phase, long fromNanos, long toNanos,
            long windowStartNanos, long windowEndNanos) {
        long from = clamp(fromNanos, windowStartNanos, windowEndNanos);
        long to = clamp(toNanos, windowStartNanos, windowEndNanos);
        if (to > from) {
            changes.add(new long[] {from, request, phase, 1});
            changes.add(new long[] {to, request, phase, -1});
        }
    }

    private static long clamp(long nanos, long low, long high) {
        return Math.max(low, Math.min(high, nanos));
    }
}
