package lem.api.backend;

/**
 * How tokens are chosen.
 *
 * @param temperature       0 means greedy
 * @param topK              0 means off
 * @param topP              1.0 means off
 * @param repetitionPenalty 1.0 means off
 * @param seed              seed of the sampler
 * @param minNewTokens      end-of-sequence is ignored until this many tokens exist (fixes output
 *                          lengths for benchmarks)
 * @param maxNewTokens      generation stops here
 */
public record DecodeSettings(double temperature, int topK, double topP, double repetitionPenalty, long seed,
        int minNewTokens, int maxNewTokens) {
    public DecodeSettings {
        if (temperature < 0 || topK < 0 || topP <= 0 || topP > 1 || repetitionPenalty <= 0) {
            throw new IllegalArgumentException("decode settings out of range: temperature=" + temperature + " top_k="
                    + topK + " top_p=" + topP + " repetition_penalty=" + repetitionPenalty);
        }
        if (minNewTokens < 0 || maxNewTokens < 1 || minNewTokens > maxNewTokens) {
            throw new IllegalArgumentException(
                    "need 0 <= min_new_tokens <= max_new_tokens, max >= 1: " + minNewTokens + ", " + maxNewTokens);
        }
    }

    public boolean greedy() {
        return temperature == 0.0;
    }
}
