package lem.backend.djl.transformer;

/**
 * FLOPs of the operations a forward pass executed, 2 per multiply-add: every linear projection
 * (including the LM head) and the two attention matmuls (scores and scores x values) over the
 * full key length computed. Bias adds, norms, activations, softmax, RoPE, residual adds and
 * embedding lookups are not counted.
 */
public final class OperationCount {

    private long linearFlops;
    private long attentionFlops;

    void addLinear(long flops) {
        linearFlops += flops;
    }

    void addAttention(long flops) {
        attentionFlops += flops;
    }

    /** Adds FLOPs counted by an engine outside this package (the ONNX graph walk). */
    public void add(long linear, long attention) {
        linearFlops += linear;
        attentionFlops += attention;
    }

    public long linearFlops() {
        return linearFlops;
    }

    public long attentionFlops() {
        return attentionFlops;
    }

    public long totalFlops() {
        return linearFlops + attentionFlops;
    }
}
