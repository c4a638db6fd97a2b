package lem.backend.openai.client;

import java.util.Objects;

/**
 * How one streamed request ended.
 *
 * @param requestId       the request
 * @param sendNanos       when it was sent
 * @param firstTokenNanos when the first chunk with a token was read, 0 when none came
 * @param endNanos        when {@code [DONE]} or the failure was seen
 * @param inputTokens     prompt tokens (the usage chunk's, else the prompt's token ids), 0 unknown
 * @param outputTokens    generated tokens, counted as {@code method} says
 * @param chunks          chunks that carried tokens
 * @param method          how tokens were counted
 * @param finishReason    the server's {@code finish_reason}, {@code error} on failure
 * @param error           what went wrong, or null
 * @param fatal           true when the server is gone (refused, reset, exited): later requests
 *                        would fail the same way
 */
public record StreamOutcome(String requestId, long sendNanos, long firstTokenNanos, long endNanos, int inputTokens,
        int outputTokens, int chunks, TokenCountMethod method, String finishReason, String error, boolean fatal) {
    public StreamOutcome {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(method, "method");
        finishReason = finishReason == null ? (error == null ? "length" : "error") : finishReason;
    }

    public boolean failed() {
        return error != null;
    }

    /** A request that failed before or without a stream. */
    public static StreamOutcome failure(String requestId, long sendNanos, String error, boolean fatal) {
        return new StreamOutcome(requestId, sendNanos, 0, System.nanoTime(), 0, 0, 0, TokenCountMethod.CHUNKS, "error",
                error, fatal);
    }
}
