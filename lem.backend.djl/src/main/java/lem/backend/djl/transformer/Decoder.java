package lem.backend.djl.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;

/**
 * The forward pass of a decoder-only transformer (GPT-2 or Llama-style) on DJL NDArrays, with a KV
 * cache, causal and padding masks, and a count of the FLOPs it executes. Only the last position of
 * each row goes through the LM head.
 */
public final class Decoder implements Forward {

    /** Added to the scores of masked keys: finite, so that a fully masked (padding) query stays NaN-free. */
    private static final float MASKED = -1e30f;

    private final TransformerConfig config;
    private final ModelWeights weights;
    private final DataType dtype;
    private final double[] inverseFrequencies;

    public Decoder(TransformerConfig config, ModelWeights weights, DataType dtype) {
        this.config = config;
        this.weights = weights;
        this.dtype = dtype;
        int half = config.headDim() / 2;
        inverseFrequencies = new double[half];
        for (int i = 0; i < half; i++) {
            inverseFrequencies[i] = 1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / config.headDim());
        }
    }

    public TransformerConfig config() {
        return config;
    }

    /**
     * Runs one forward pass over {@code T} new tokens of {@code B} rows.
     *
     * @param manager   where input arrays are created (the device's manager)
     * @param tokenIds  {@code [B][T]} new token ids
     * @param positions {@code [B][T]} position of each new token in its own sequence (padding excluded)
     * @param keyValid  {@code [B][>= S]} whether each key position, cached and new, is a real token
     *                  ({@code S = cache.length() + T}; columns past {@code S} are not read); padding
     *                  keys are masked
     * @param cache     the batch's KV cache, extended by {@code T} positions
     * @param count     receives the FLOPs executed
     * @return logits {@code [B, vocab]} in float32 of each row's last position
     */
    public NDArray forward(NDManager manager, long[][] tokenIds, int[][] positions, boolean[][] keyValid,
            KvCache cache, OperationCount count) {
        int batch = tokenIds.length;
        int steps = tokenIds[0].length;
        int past = cache.length();
        int keys = past + steps;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray ids = manager.create(flatten(tokenIds), new Shape(batch, steps));
            NDArray mask = manager.create(maskValues(keyValid, past, steps), new Shape(batch, 1, 1, steps, keys));
            NDArray x = weights.get(WeightLayout.tokenEmbedding(config)).get(new NDIndex("{}", ids));
            NDArray cos = null;
            NDArray sin = null;
            if (config.family() == TransformerConfig.Family.GPT2) {
                NDArray pos = manager.create(flattenPositions(positions), new Shape(batch, steps));
                x = x.add(weights.get("wpe.weight").get(new NDIndex("{}", pos)));
            } else {
                NDArray[] rope = rotaryTables(manager, positions);
                cos = rope[0];
                sin = rope[1];
            }
            for (int layer = 0; layer < config.layers(); layer++) {
                x = config.family() == TransformerConfig.Family.GPT2
                        ? gpt2Block(x, layer, mask, cache, count)
                        : llamaBlock(x, layer, mask, cos, sin, cache, count);
            }
            NDArray last = x.get(new NDIndex(":, -1, :"));
            NDArray normed = config.family() == TransformerConfig.Family.GPT2
                    ? layerNorm(last, "ln_f.")
                    : rmsNorm(last, "model.norm.weight");
            NDArray logits = linear(normed, weights.lmHead(), null, count).toType(DataType.FLOAT32, false);
            cache.setLength(keys);
            for (int layer = 0; layer < config.layers(); layer++) {
                NDScope.unregister(cache.keys(layer), cache.values(layer));
            }
            NDScope.unregister(logits);
            return logits;
        }
    }

    private NDArray gpt2Block(NDArray x, int layer, NDArray mask, KvCache cache, OperationCount count) {
        String p = "h." + layer + ".";
        int h = config.hiddenSize();
        NDArray normed = layerNorm(x, p + "ln_1.");
        NDArray qkv = linear(normed, weights.get(p + "attn.c_attn.weight"), weights.get(p + "attn.c_attn.bias"),
                count);
        NDList parts = qkv.split(new long[] {h, 2L * h}, 2);
        NDArray q = heads(parts.get(0), config.heads());
        NDArray k = heads(parts.get(1), config.kvHeads());
        NDArray v = heads(parts.get(2), config.kvHeads());
        NDArray attended = attention(q, k, v, layer, mask, cache, count);
        x = x.add(linear(attended, weights.get(p + "attn.c_proj.weight"), weights.get(p + "attn.c_proj.bias"),
                count));
        NDArray normed2 = layerNorm(x, p + "ln_2.");
        NDArray up = linear(normed2, weights.get(p + "mlp.c_fc.weight"), weights.get(p + "mlp.c_fc.bias"), count);
        NDArray down = linear(geluTanh(up), weights.get(p + "mlp.c_proj.weight"), weights.get(p + "mlp.c_proj.bias"),
                count);
        return x.add(down);
    }

    private NDArray llamaBlock(NDArray x, int layer, NDArray mask, NDArray cos, NDArray sin, KvCache cache,
            OperationCount count) {
        String p = "model.layers." + layer + ".";
        NDArray normed = rmsNorm(x, p + "input_layernorm.weight");
        NDArray q = heads(projection(normed, p + "self_attn.q_proj", count), config.heads());
        NDArray k = heads(projection(normed, p + "self_attn.k_proj", count), config.kvHeads());
        NDArray v = heads(projection(normed, p + "self_attn.v_proj", count), config.kvHeads());
        q = rotate(q, cos, sin);
        k = rotate(k, cos, sin);
        NDArray attended = attention(q, k, v, layer, mask, cache, count);
        x = x.add(projection(attended, p + "self_attn.o_proj", count));
        NDArray normed2 = rmsNorm(x, p + "post_attention_layernorm.weight");
        NDArray gate = projection(normed2, p + "mlp.gate_proj", count);
        NDArray up = projection(normed2, p + "mlp.up_proj", count);
        NDArray swiglu = Activation.sigmoid(gate).mul(gate).mul(up);
        return x.add(projection(swiglu, p + "mlp.down_proj", count));
    }

    private NDArray projection(NDArray x, String prefix, OperationCount count) {
        return linear(x, weights.get(prefix + ".weight"), weights.optional(prefix + ".bias"), count);
    }

    /** x @ W^T (+ b) with W {@code [out, in]}: 2 x rows x out x in FLOPs. */
    private static NDArray linear(NDArray x, NDArray weight, NDArray bias, OperationCount count) {
        Shape w = weight.getShape();
        long rows = x.getShape().size() / w.get(1);
        count.addLinear(2L * rows * w.get(0) * w.get(1));
        NDList out = bias == null ? Linear.linear(x, weight) : Linear.linear(x, weight, bias);
        return out.singletonOrThrow();
    }

    /** {@code [B, T, n*D]} -> {@code [B, n, T, D]}. */
    private NDArray heads(NDArray x, int count) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), count, config.headDim()).transpose(0, 2, 1, 3);
    }

    /**
     * Scaled dot-product attention over cached and new keys. Grouped-query attention without copying
     * keys: the query heads sharing a key head are folded into that head's rows.
     */
    private NDArray attention(NDArray q, NDArray k, NDArray v, int layer, NDArray mask, KvCache cache,
            OperationCount count) {
        NDArray allKeys = cache.keys(layer) == null ? k : NDArrays.concat(new NDList(cache.keys(layer), k), 2);
        NDArray allValues = cache.values(layer) == null ? v
                : NDArrays.concat(new NDList(cache.values(layer), v), 2);
        cache.store(layer, allKeys, allValues);
        Shape qs = q.getShape();
        long batch = qs.get(0);
        long steps = qs.get(2);
        long d = config.headDim();
        long kvHeads = config.kvHeads();
        long group = config.heads() / kvHeads;
        long keys = allKeys.getShape().get(2);
        NDArray grouped = q.reshape(batch, kvHeads, group * steps, d);
        // scores: [B, kvH, g*T, S]; per head T x S x D multiply-adds
        NDArray scores = grouped.matMul(allKeys.transpose(0, 1, 3, 2));
        count.addAttention(2L * batch * config.heads() * steps * keys * d);
        NDArray probabilities = scores.toType(DataType.FLOAT32, false).mul(1.0 / Math.sqrt(d))
                .reshape(batch, kvHeads, group, steps, keys).add(mask).softmax(-1)
                .reshape(batch, kvHeads, group * steps, keys).toType(dtype, false);
        NDArray context = probabilities.matMul(allValues);
        count.addAttention(2L * batch * config.heads() * steps * keys * d);
        return context.reshape(batch, config.heads(), steps, d).transpose(0, 2, 1, 3)
                .reshape(batch, steps, config.heads() * d);
    }

    /** HF's rotate-half RoPE: x cos + rotate_half(x) sin. */
    private NDArray rotate(NDArray x, NDArray cos, NDArray sin) {
        int half = config.headDim() / 2;
        NDList halves = x.split(new long[] {half}, 3);
        NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), 3);
        return x.mul(cos).add(rotated.mul(sin));
    }

    private NDArray[] rotaryTables(NDManager manager, int[][] positions) {
        int batch = positions.length;
        int steps = positions[0].length;
        int d = config.headDim();
        int half = d / 2;
        float[] cos = new float[batch * steps * d];
        float[] sin = new float[batch * steps * d];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                int base = (b * steps + t) * d;
                for (int i = 0; i < half; i++) {
                    double angle = positions[b][t] * inverseFrequencies[i];
                    float c = (float) Math.cos(angle);
                    float s = (float) Math.sin(angle);
                    cos[base + i] = c;
                    cos[base + half + i] = c;
                    sin[base + i] = s;
                    sin[base + half + i] = s;
                }
            }
        }
        Shape shape = new Shape(batch, 1, steps, d);
        return new NDArray[] {manager.create(cos, shape).toType(dtype, false),
            manager.create(sin, shape).toType(dtype, false)};
    }

    private NDArray layerNorm(NDArray x, String prefix) {
        NDArray wide = x.toType(DataType.FLOAT32, false);
        NDArray out = LayerNorm.layerNorm(wide, new Shape(config.hiddenSize()), weights.get(prefix + "weight"),
                weights.get(prefix + "bias"), (float) config.normEps()).singletonOrThrow();
        return out.toType(dtype, false);
    }

    private NDArray rmsNorm(NDArray x, String weightName) {
        NDArray wide = x.toType(DataType.FLOAT32, false);
        NDArray meanSquare = wide.square().mean(new int[] {-1}, true);
        NDArray normed = wide.div(meanSquare.add(config.normEps()).sqrt());
        return normed.mul(weights.get(weightName)).toType(dtype, false);
    }

    /** GELU, tanh form (GPT-2's gelu_new). */
    private static NDArray geluTanh(NDArray x) {
        NDArray inner = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2.0 / Math.PI));
        return x.mul(0.5).mul(inner.tanh().add(1));
    }

    static long[] flatten(long[][] rows) {
        int width = rows[0].length;
        long[] out = new long[rows.length * width];
        for (int b = 0; b < rows.length; b++) {
            System.arraycopy(rows[b], 0, out, b * width, width);
        }
        return out;
    }

    private static long[] flattenPositions(int[][] rows) {
        int width = rows[0].length;
        long[] out = new long[rows.length * width];
        for (int b = 0; b < rows.length; b++) {
            for (int t = 0; t < width; t++) {
                out[b * width + t] = rows[b][t];
            }
        }
        return out;
    }

    /** Additive mask {@code [B, 1, 1, T, S]}: a query sees real keys at or before its own position. */
    private static float[] maskValues(boolean[][] keyValid, int past, int steps) {
        int batch = keyValid.length;
        int keys = past + steps;
        float[] mask = new float[batch * steps * keys];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                int base = (b * steps + t) * keys;
                for (int s = 0; s < keys; s++) {
                    boolean visible = s <= past + t && keyValid[b][s];
                    mask[base + s] = visible ? 0f : MASKED;
                }
            }
        }
        return mask;
    }
}
