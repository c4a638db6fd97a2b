package lem.api.backend;

/**
 * Tokens of one request that became visible on the host at one instant.
 *
 * @param requestId      the request
 * @param index          index of the first token of this event in the request's output (0 = first)
 * @param tokenCount     tokens in this event: 1 in-process, possibly more when a server's stream
 *                       chunk carried several
 * @param timestampNanos {@link System#nanoTime()} after the tokens existed on the host (a device
 *                       backend synchronises first)
 */
public record TokenEvent(String requestId, int index, int tokenCount, long timestampNanos) {
    public TokenEvent {
        if (tokenCount < 1) {
            throw new IllegalArgumentException("tokenCount must be >= 1: " + tokenCount);
        }
    }
}
