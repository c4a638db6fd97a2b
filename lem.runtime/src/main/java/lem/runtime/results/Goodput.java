package lem.runtime.results;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The requests that met every service-level objective given in the config's {@code slo} section,
 * over the included cycles.
 *
 * @param objectivesMs        the objectives, ms, by name ({@code ttft_ms}, {@code itl_ms},
 *                            {@code tpot_ms}, {@code e2e_ms})
 * @param requests            requests judged (every request of the included cycles)
 * @param goodRequests        requests that succeeded and met every objective
 * @param goodShare           goodRequests / requests
 * @param goodRequestsPerSecond goodRequests / the included cycles' windows
 * @param missedBy            per objective, how many requests missed it (a request may miss several);
 *                            a failed request misses all
 */
public record Goodput(Map<String, Double> objectivesMs, long requests, long goodRequests, double goodShare,
        Double goodRequestsPerSecond, Map<String, Long> missedBy) {

    static final String RULE = "a request is good when it succeeded and meets every objective given: ttft_ms "
            + "(TTFT from arrival), itl_ms (every gap between its token arrivals), tpot_ms, e2e_ms (from arrival); a "
            + "request without a figure an objective needs (no second token for tpot) misses it";

    /** Goodput of these requests, or null when no objective is given. */
    static Goodput of(Map<String, Double> objectivesMs, List<RequestMetrics> requests, long windowNanos) {
        if (objectivesMs.isEmpty()) {
            return null;
        }
        Map<String, Long> missed = new TreeMap<>();
        objectivesMs.keySet().forEach(k -> missed.put(k, 0L));
        long good = 0;
        for (RequestMetrics request : requests) {
            boolean ok = request.error() == null;
            for (Map.Entry<String, Double> objective : objectivesMs.entrySet()) {
                Double value = switch (objective.getKey()) {
                    case "ttft_ms" -> request.ttftMs();
                    case "itl_ms" -> request.itlGaps() == 0 ? Double.valueOf(0) : request.itlMaxMs();
                    case "tpot_ms" -> request.tpotMs();
                    case "e2e_ms" -> request.e2eMs();
                    default -> throw new IllegalArgumentException("unknown objective " + objective.getKey());
                };
                if (request.error() != null || value == null || value > objective.getValue()) {
                    missed.merge(objective.getKey(), 1L, Long::sum);
                    ok = false;
                }
            }
            if (ok) {
                good++;
            }
        }
        int n = requests.size();
        return new Goodput(new TreeMap<>(objectivesMs), n, good, n == 0 ? 0 : (double) good / n,
                windowNanos > 0 ? good / (windowNanos / 1e9) : null, missed);
    }
}
