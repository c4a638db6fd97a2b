package lem.runtime.results;

/**
 * Latency of one request, milliseconds; null where the request has no such figure (no first token,
 * fewer than two output tokens).
 *
 * @param cycle             1-based cycle
 * @param process           0-based process
 * @param requestId         the request
 * @param inputTokens       prompt tokens
 * @param outputTokens      generated tokens
 * @param ttftMs            time to first token, from arrival
 * @param tpotMs            (E2E - TTFT) / (output tokens - 1)
 * @param e2eMs             arrival to end
 * @param decodeMs          first token to end
 * @param itlMeanMs         mean of this request's raw inter-token gaps
 * @param itlGaps           raw inter-token gaps
 * @param multiTokenChunks  arrivals with more than one token
 * @param finishReason      why it stopped
 * @param error             what went wrong, or null
 * @param queueMs           arrival to start
 * @param itlMaxMs          the longest of this request's raw inter-token gaps, or null without one
 * @param energyJoules      the request's share of the window's energy (each instant's energy shared
 *                          equally among the requests in flight), or null without energy figures
 */
public record RequestMetrics(int cycle, int process, String requestId, int inputTokens, int outputTokens,
        Double ttftMs, Double tpotMs, Double e2eMs, Double decodeMs, Double itlMeanMs, int itlGaps,
        int multiTokenChunks, String finishReason, String error, Double queueMs, Double itlMaxMs, Double energyJoules) {
}
