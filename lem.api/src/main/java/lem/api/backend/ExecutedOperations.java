package lem.api.backend;

/**
 * Floating-point operations a backend executed, counted as it ran (a multiply-add is 2 FLOPs).
 *
 * @param prefillFlops FLOPs of prompt processing (up to and including the first token's forward pass)
 * @param decodeFlops  FLOPs of every later forward pass
 * @param counts       which operations are counted, in words ({@code matmuls and attention; no
 *                     norms, activations or softmax})
 */
public record ExecutedOperations(long prefillFlops, long decodeFlops, String counts) {
    public ExecutedOperations {
        if (prefillFlops < 0 || decodeFlops < 0) {
            throw new IllegalArgumentException("negative FLOPs");
        }
        counts = counts == null ? "" : counts;
    }

    public long totalFlops() {
        return prefillFlops + decodeFlops;
    }
}
