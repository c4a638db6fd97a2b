package lem.runtime.results;

/**
 * Tokens of one request that became visible at one instant.
 *
 * @param timestampNanos {@link System#nanoTime()} when they arrived
 * @param tokenCount     tokens in this arrival; more than 1 when a stream chunk carried several
 */
public record TokenArrival(long timestampNanos, int tokenCount) {
    public TokenArrival {
        if (tokenCount < 1) {
            throw new IllegalArgumentException("tokenCount must be >= 1: " + tokenCount);
        }
    }
}
