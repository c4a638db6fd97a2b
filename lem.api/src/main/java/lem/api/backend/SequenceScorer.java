package lem.api.backend;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A {@link LoadedModel} that can also score token sequences: the natural-log probability its raw
 * next-token distribution (temperature 1, no top-k, top-p or repetition penalty) gives each token
 * of a sequence given the tokens before it. The runtime computes perplexity from these after the
 * measurement cycles, so scoring costs no measured energy. A backend opts in by having its loaded
 * model implement this interface; a model that does not gets a "not supported" note, not a failure.
 */
@ConsumerType
public interface SequenceScorer {

    /**
     * The token ids of a text, as the model's tokenizer splits a text prompt.
     *
     * @throws BackendException when the model has no tokenizer, naming the model
     */
    int[] encode(String text) throws BackendException;

    /** The most tokens one scored sequence may hold: the model's positions. */
    int maxSequenceTokens();

    /**
     * Log-probabilities of the sequences' tokens. For a sequence of {@code n} tokens the answer has
     * {@code n - 1} values: element {@code t} is {@code ln p(tokens[t + 1] | tokens[0..t])}; the first
     * token has no context and is not scored.
     *
     * @param sequences each at least 2 and at most {@link #maxSequenceTokens()} tokens, ids within
     *                  the vocabulary
     * @return one array per sequence, in the order given
     * @throws BackendException when a sequence is out of range or the engine fails
     */
    List<double[]> logProbabilities(List<int[]> sequences) throws BackendException;
}
