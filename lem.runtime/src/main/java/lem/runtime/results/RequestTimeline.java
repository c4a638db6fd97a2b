package lem.runtime.results;

import java.util.List;
import java.util.Objects;

/**
 * Everything measured about one request, in {@link System#nanoTime()} readings.
 *
 * @param requestId       the request
 * @param inputTokens     prompt tokens
 * @param outputTokens    generated tokens
 * @param startNanos      sent (server) or generation began (in-process)
 * @param firstTokenNanos first token with content arrived, or 0 when none came
 * @param endNanos        last token or failure
 * @param tokenEvents     every arrival of tokens, in time order
 * @param finishReason    {@code length}, {@code stop}, {@code error}, ...
 * @param error           what went wrong, or null
 * @param arrivalNanos    when the request arrived (the traffic plan's instant for it): TTFT and
 *                        E2E count from here, and arrival to start is its queueing; the start
 *                        where the arrival is unknown (raw files written before it was recorded)
 */
public record RequestTimeline(String requestId, int inputTokens, int outputTokens, long startNanos,
        long firstTokenNanos, long endNanos, List<TokenArrival> tokenEvents, String finishReason, String error,
        long arrivalNanos) {
    public RequestTimeline {
        arrivalNanos = arrivalNanos == 0 ? startNanos : arrivalNanos;
        Objects.requireNonNull(requestId, "requestId");
        tokenEvents = tokenEvents == null ? List.of() : List.copyOf(tokenEvents);
        finishReason = finishReason == null ? "length" : finishReason;
    }

    /** A request that arrived as it started (nothing queued it). */
    public RequestTimeline(String requestId, int inputTokens, int outputTokens, long startNanos, long firstTokenNanos,
            long endNanos, List<TokenArrival> tokenEvents, String finishReason, String error) {
        this(requestId, inputTokens, outputTokens, startNanos, firstTokenNanos, endNanos, tokenEvents, finishReason, error,
                startNanos);
    }

    public boolean failed() {
        return error != null;
    }

    public boolean hasFirstToken() {
        return firstTokenNanos != 0;
    }
}
