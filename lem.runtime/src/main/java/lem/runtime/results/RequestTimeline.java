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
 */
public record RequestTimeline(String requestId, int inputTokens, int outputTokens, long startNanos,
        long firstTokenNanos, long endNanos, List<TokenArrival> tokenEvents, String finishReason, String error) {
    public RequestTimeline {
        Objects.requireNonNull(requestId, "requestId");
        tokenEvents = tokenEvents == null ? List.of() : List.copyOf(tokenEvents);
        finishReason = finishReason == null ? "length" : finishReason;
    }

    public boolean failed() {
        return error != null;
    }

    public boolean hasFirstToken() {
        return firstTokenNanos != 0;
    }
}
