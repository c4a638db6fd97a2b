package lem.api.backend;

import java.util.Objects;

/**
 * The outcome of one request.
 *
 * @param requestId        the request
 * @param startNanos       sent / generation began
 * @param firstTokenNanos  first token with content on the host, or 0 when none came
 * @param endNanos         last token or failure
 * @param inputTokens      prompt tokens
 * @param outputTokens     generated tokens
 * @param finishReason     {@code length}, {@code stop}, {@code error}, ...
 * @param error            what went wrong, or null
 */
public record RequestResult(String requestId, long startNanos, long firstTokenNanos, long endNanos, int inputTokens,
        int outputTokens, String finishReason, String error) {
    public RequestResult {
        Objects.requireNonNull(requestId, "requestId");
        finishReason = finishReason == null ? "length" : finishReason;
    }

    public boolean failed() {
        return error != null;
    }
}
