package lem.backend.djl.transformer;

/**
 * The forward passes of one static batch, prefill then one decode step at a time, holding the
 * batch's KV cache until closed. The generation loop is the same for every engine behind it.
 */
public interface BatchForward extends AutoCloseable {

    /**
     * Runs one forward pass over {@code T} new tokens of {@code B} rows.
     *
     * @param tokenIds  {@code [B][T]} new token ids
     * @param positions {@code [B][T]} position of each new token in its own sequence (padding excluded)
     * @param keyValid  {@code [B][>= S]} whether each key position, cached and new, is a real token
     * @param count     receives the FLOPs executed
     * @return float32 logits {@code [B * vocab]} of each row's last position, on the host
     */
    float[] forward(long[][] tokenIds, int[][] positions, boolean[][] keyValid, OperationCount count);

    /**
     * The greedy token of each row, the first index of its largest logit: {@link #forward}'s logits
     * on the host unless the engine picks it where the logits are (DJL: on the device, so that
     * {@code B} ids cross to the host instead of {@code B x vocab} floats).
     */
    default long[] argmax(long[][] tokenIds, int[][] positions, boolean[][] keyValid, OperationCount count) {
        float[] logits = forward(tokenIds, positions, keyValid, count);
        int rows = tokenIds.length;
        int vocab = logits.length / rows;
        long[] tokens = new long[rows];
        for (int b = 0; b < rows; b++) {
            tokens[b] = largest(logits, b * vocab, vocab);
        }
        return tokens;
    }

    /** The token id with the largest logit in {@code row[base .. base + vocab)}, the lowest id on ties. */
    static int largest(float[] row, int base, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (row[base + i] > row[base + best]) {
                best = i;
            }
        }
        return best;
    }

    /** Frees the batch's cache. */
    @Override
    void close();
}
