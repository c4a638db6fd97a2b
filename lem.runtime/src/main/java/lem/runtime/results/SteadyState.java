package lem.runtime.results;

/**
 * The steady state of a window: from the first instant the number of requests in flight reaches
 * its highest to the last instant it leaves it, without ramp-up and drain, as the ML.ENERGY
 * benchmark measures servers. Summed over processes and cycles.
 *
 * @param inFlight              the plateau: the most requests in flight at once
 * @param durationNanos         its duration
 * @param outputTokens          tokens that arrived inside it
 * @param energyJoules          counted energy inside it, or null without energy figures
 * @param outputTokensPerSecond output tokens / duration
 * @param joulesPerOutputToken  energy / output tokens, or null
 */
public record SteadyState(int inFlight, long durationNanos, long outputTokens, Double energyJoules,
        Double outputTokensPerSecond, Double joulesPerOutputToken) {
}
