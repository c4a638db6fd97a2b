package lem.runtime.results;

import java.util.List;

/**
 * The metrics of one cycle over its processes, and each request's latency.
 *
 * @param cycle    1-based cycle
 * @param metrics  the cycle's metrics
 * @param requests per request, in process and request order
 */
public record CycleResult(int cycle, WorkloadMetrics metrics, List<RequestMetrics> requests) {
    public CycleResult {
        requests = List.copyOf(requests);
    }
}
