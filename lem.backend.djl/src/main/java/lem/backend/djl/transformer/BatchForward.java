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

    /** Frees the batch's cache. */
    @Override
    void close();
}
