package lem.backend.djl.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * One forward pass of a decoder over new tokens of a batch, continuing the sequences its
 * {@link KvCache} holds: the built-in {@link Decoder}, or a TorchScript module.
 */
public interface Forward extends AutoCloseable {

    TransformerConfig config();

    /**
     * @param manager   where input arrays are created (the device's manager)
     * @param tokenIds  {@code [B][T]} new token ids
     * @param positions {@code [B][T]} position of each new token in its own sequence (padding excluded)
     * @param keyValid  {@code [B][>= S]} whether each key position, cached and new, is a real token
     * @param cache     the batch's cache, extended by {@code T} positions
     * @param count     receives the FLOPs executed
     * @return logits {@code [B, vocab]} in float32 of each row's last position; the caller closes it
     */
    NDArray forward(NDManager manager, long[][] tokenIds, int[][] positions, boolean[][] keyValid, KvCache cache,
            OperationCount count);

    /** Frees what the forward holds beyond the model's weights (a loaded module); nothing by default. */
    @Override
    default void close() {
    }
}
