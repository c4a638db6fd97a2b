package lem.backend.djl.transformer;

import java.util.Arrays;

/**
 * One weight tensor a model needs, named as in Hugging Face checkpoints.
 *
 * @param name  the checkpoint name ({@code model.layers.0.self_attn.q_proj.weight})
 * @param shape the shape in the checkpoint's layout
 * @param init  how a synthetic model fills it
 */
public record TensorSpec(String name, long[] shape, Init init) {

    /** How synthetic weights are drawn. */
    public enum Init {
        /** normal(0, initializer_range) */
        NORMAL,
        /** all ones (norm scales) */
        ONES,
        /** all zeros (biases) */
        ZEROS
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public String shapeText() {
        return Arrays.toString(shape);
    }
}
