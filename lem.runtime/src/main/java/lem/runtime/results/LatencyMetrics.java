package lem.runtime.results;

/**
 * Latency figures from token timestamps, milliseconds, over every successful request. Failed
 * requests are counted elsewhere and left out here, since their timings describe the failure.
 *
 * @param ttftMs              time to first token: request start to first token with content
 * @param itlRawMs            every gap between consecutive token arrivals of one request
 * @param itlTrimmedMs        the same without each request's first and last gap
 * @param tpotMs              per request, (E2E - TTFT) / (output tokens - 1), for requests with 2+ tokens
 * @param e2eMs               request start to its last token
 * @param prefillMs           per request, start to first token
 * @param decodeMs            per request, first token to end
 * @param prefillTotalMs      sum of prefill times
 * @param decodeTotalMs       sum of decode times
 * @param tokenArrivals       token arrivals seen
 * @param multiTokenChunks    arrivals that carried more than one token (each counts as one ITL gap)
 * @param tokensInMultiTokenChunks tokens those arrivals carried
 */
public record LatencyMetrics(SampleSummary ttftMs, SampleSummary itlRawMs, SampleSummary itlTrimmedMs,
        SampleSummary tpotMs, SampleSummary e2eMs, SampleSummary prefillMs, SampleSummary decodeMs,
        double prefillTotalMs, double decodeTotalMs, long tokenArrivals, long multiTokenChunks,
        long tokensInMultiTokenChunks) {
}
