package lem.backend.djl.transformer;

import java.util.ArrayList;
import java.util.List;

/** The tensors an architecture needs, with their checkpoint names and shapes. */
public final class WeightLayout {

    /** Name of the output projection, absent from checkpoints with tied embeddings. */
    public static final String LM_HEAD = "lm_head.weight";

    private WeightLayout() {
    }

    /**
     * Every tensor the model reads. With tied embeddings the LM head is not listed: it is the token
     * embedding, counted once.
     */
    public static List<TensorSpec> tensors(TransformerConfig c) {
        return c.family() == TransformerConfig.Family.GPT2 ? gpt2(c) : llama(c);
    }

    /** The token embedding's checkpoint name. */
    public static String tokenEmbedding(TransformerConfig c) {
        return c.family() == TransformerConfig.Family.GPT2 ? "wte.weight" : "model.embed_tokens.weight";
    }

    /** Exact parameter count: the sum of all tensor sizes, tied weights once. */
    public static long parameterCount(TransformerConfig c) {
        long total = 0;
        for (TensorSpec t : tensors(c)) {
            total += t.elementCount();
        }
        return total;
    }

    private static List<TensorSpec> gpt2(TransformerConfig c) {
        long h = c.hiddenSize();
        long inner = c.intermediateSize();
        List<TensorSpec> out = new ArrayList<>();
        out.add(normal("wte.weight", c.vocabSize(), h));
        out.add(normal("wpe.weight", c.maxPositions(), h));
        for (int i = 0; i < c.layers(); i++) {
            String p = "h." + i + ".";
            out.add(ones(p + "ln_1.weight", h));
            out.add(zeros(p + "ln_1.bias", h));
            // HF GPT-2 uses Conv1D: weights are stored [in, out]
            out.add(normal(p + "attn.c_attn.weight", h, 3 * h));
            out.add(zeros(p + "attn.c_attn.bias", 3 * h));
            out.add(normal(p + "attn.c_proj.weight", h, h));
            out.add(zeros(p + "attn.c_proj.bias", h));
            out.add(ones(p + "ln_2.weight", h));
            out.add(zeros(p + "ln_2.bias", h));
            out.add(normal(p + "mlp.c_fc.weight", h, inner));
            out.add(zeros(p + "mlp.c_fc.bias", inner));
            out.add(normal(p + "mlp.c_proj.weight", inner, h));
            out.add(zeros(p + "mlp.c_proj.bias", h));
        }
        out.add(ones("ln_f.weight", h));
        out.add(zeros("ln_f.bias", h));
        if (!c.tiedEmbeddings()) {
            out.add(normal(LM_HEAD, c.vocabSize(), h));
        }
        return out;
    }

    private static List<TensorSpec> llama(TransformerConfig c) {
        long h = c.hiddenSize();
        long q = (long) c.heads() * c.headDim();
        long kv = (long) c.kvHeads() * c.headDim();
        long inner = c.intermediateSize();
        List<TensorSpec> out = new ArrayList<>();
        out.add(normal("model.embed_tokens.weight", c.vocabSize(), h));
        for (int i = 0; i < c.layers(); i++) {
            String p = "model.layers." + i + ".";
            out.add(ones(p + "input_layernorm.weight", h));
            out.add(normal(p + "self_attn.q_proj.weight", q, h));
            out.add(normal(p + "self_attn.k_proj.weight", kv, h));
            out.add(normal(p + "self_attn.v_proj.weight", kv, h));
            if (c.attentionBias()) {
                out.add(zeros(p + "self_attn.q_proj.bias", q));
                out.add(zeros(p + "self_attn.k_proj.bias", kv));
                out.add(zeros(p + "self_attn.v_proj.bias", kv));
            }
            out.add(normal(p + "self_attn.o_proj.weight", h, q));
            if (c.outputProjectionBias()) {
                out.add(zeros(p + "self_attn.o_proj.bias", h));
            }
            out.add(ones(p + "post_attention_layernorm.weight", h));
            out.add(normal(p + "mlp.gate_proj.weight", inner, h));
            out.add(normal(p + "mlp.up_proj.weight", inner, h));
            out.add(normal(p + "mlp.down_proj.weight", h, inner));
            if (c.mlpBias()) {
                out.add(zeros(p + "mlp.gate_proj.bias", inner));
                out.add(zeros(p + "mlp.up_proj.bias", inner));
                out.add(zeros(p + "mlp.down_proj.bias", h));
            }
        }
        out.add(ones("model.norm.weight", h));
        if (!c.tiedEmbeddings()) {
            out.add(normal(LM_HEAD, c.vocabSize(), h));
        }
        return out;
    }

    private static TensorSpec normal(String name, long... shape) {
        return new TensorSpec(name, shape, TensorSpec.Init.NORMAL);
    }

    private static TensorSpec ones(String name, long... shape) {
        return new TensorSpec(name, shape, TensorSpec.Init.ONES);
    }

    private static TensorSpec zeros(String name, long... shape) {
        return new TensorSpec(name, shape, TensorSpec.Init.ZEROS);
    }
}
