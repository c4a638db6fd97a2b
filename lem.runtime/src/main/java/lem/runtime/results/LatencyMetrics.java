package lem.runtime.results;

/**
 * Latency figures from token timestamps, milliseconds, over every successful request. Failed
 * requests are counted elsewhere and left out here, since their timings describe the failure.
 *
 * @param ttftMs              time to first token: the request's arrival to its first token with content
 * @param itlRawMs            every gap between consecutive token arrivals of one request
 * @param itlTrimmedMs        the same without each request's first and last gap
 * @param tpotMs              per request, (E2E - TTFT) / (output tokens - 1), for requests with 2+ tokens
 * @param e2eMs               the request's arrival to its last token
 * @param prefillMs           per request, start (sent, or generation began) to first token
 * @param decodeMs            per request, first token to end
 * @param prefillTotalMs      sum of prefill times
 * @param decodeTotalMs       sum of decode times
 * @param tokenArrivals       token arrivals seen
 * @param multiTokenChunks    arrivals that carried more than one token (each counts as one ITL gap)
 * @param tokensInMultiTokenChunks tokens those arrivals carried
 * @param queueMs             per request, arrival to start: time it waited for a batch slot or a
 *                            free connection
 * @param itlPerTokenMs       inter-token latency per token: an arrival of k tokens after a gap g
 *                            gives k gaps of g / k (tokens that came with the first are part of TTFT)
 */
public record LatencyMetrics(SampleSummary ttftMs, SampleSummary itlRawMs, SampleSummary itlTrimmedMs,
        SampleSummary tpotMs, SampleSummary e2eMs, SampleSummary prefillMs, SampleSummary decodeMs,
        double prefillTotalMs, double decodeTotalMs, long tokenArrivals, long multiTokenChunks,
        long tokensInMultiTokenChunks, SampleSummary queueMs, SampleSummary itlPerTokenMs) {
}
