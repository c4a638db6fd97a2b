package lem.runtime.results;

/**
 * FLOPs of the workload, summed over processes, and the ratios built on them.
 *
 * @param totalFlops          prefill + decode
 * @param prefillFlops        prompt processing
 * @param decodeFlops         generation after the first token
 * @param method              {@code executed} (counted by the backend as it ran) or the strategy that estimated it
 * @param confidence          HIGH for executed counts, else the strategy's confidence (the lowest when processes differ)
 * @param flopsPerJoule       total FLOPs / raw energy, or null without energy
 * @param flopsPerOutputToken total FLOPs / output tokens, or null
 * @param flopsPerToken       total FLOPs / (input + output tokens), or null
 */
public record FlopsMetrics(long totalFlops, long prefillFlops, long decodeFlops, String method, String confidence,
        Double flopsPerJoule, Double flopsPerOutputToken, Double flopsPerToken) {
}
