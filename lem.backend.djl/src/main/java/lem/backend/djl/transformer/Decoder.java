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
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

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
        inverseFrequencies = inverseFrequencies(config);
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
        // outside the scope: the cache's arrays outlive the pass
        cache.reserve(manager, batch, config.kvHeads(), config.headDim(), dtype, keys);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Pass pass = new Pass(manager, batch, steps, past, keyValid, cache, count);
            NDArray ids = manager.create(flatten(tokenIds), new Shape(batch, steps));
            NDArray x = weights.get(WeightLayout.tokenEmbedding(config)).get(new NDIndex("{}", ids));
            if (config.family() == TransformerConfig.Family.GPT2) {
                NDArray pos = manager.create(flattenPositions(positions), new Shape(batch, steps));
                x = x.add(weights.get("wpe.weight").get(new NDIndex("{}", pos)));
                for (int layer = 0; layer < config.layers(); layer++) {
                    x = gpt2Block(x, layer, pass);
                }
            } else {
                rotaryTables(pass, positions);
                // the residual stream as [B*T, H] rows, so that each residual add rides in its projection's addmm
                x = x.reshape(pass.rows(), config.hiddenSize());
                for (int layer = 0; layer < config.layers(); layer++) {
                    x = llamaBlock(x, layer, pass);
                }
                x = x.reshape(batch, steps, config.hiddenSize());
            }
            NDArray last = x.get(new NDIndex(":, -1, :"));
            NDArray normed = config.family() == TransformerConfig.Family.GPT2
                    ? layerNorm(last, "ln_f.")
                    : rmsNorm(last, "model.norm.weight");
            NDArray logits = linear(normed, batch, weights.lmHead(), null, count).toType(DataType.FLOAT32, false);
            cache.setLength(keys);
            NDScope.unregister(logits);
            return logits;
        }
    }

    /** What the layers of one pass share. */
    private static final class Pass {
        final int batch;
        final int steps;
        final int past;
        final KvCache cache;
        final OperationCount count;
        /**
         * Additive mask: {@code [B, 1, 1, S]} for one new token, else {@code [B, 1, 1, T, S]}; null for
         * one new token when every key of every row is a real token (nothing to mask).
         */
        final NDArray mask;
        final NDManager manager;
        /** RoPE tables {@code [B, T, 1, D]}: cos, and sin with its first half negated. */
        NDArray cos;
        NDArray signedSin;

        Pass(NDManager manager, int batch, int steps, int past, boolean[][] keyValid, KvCache cache,
                OperationCount count) {
            this.batch = batch;
            this.steps = steps;
            this.past = past;
            this.cache = cache;
            this.count = count;
            this.manager = manager;
            int keys = past + steps;
            if (steps == 1 && allValid(keyValid, keys)) {
                mask = null;
            } else {
                Shape shape = steps == 1 ? new Shape(batch, 1, 1, keys) : new Shape(batch, 1, 1, steps, keys);
                mask = manager.create(maskValues(keyValid, past, steps), shape);
            }
        }

        int rows() {
            return batch * steps;
        }
    }

    private NDArray gpt2Block(NDArray x, int layer, Pass pass) {
        String p = "h." + layer + ".";
        NDArray normed = layerNorm(x, p + "ln_1.");
        NDArray qkv = linear(normed, pass.rows(), weights.get(p + "attn.c_attn.weight"),
                weights.get(p + "attn.c_attn.bias"), pass.count);
        // [B, T, 3 * heads, D]: views of the one projection
        NDList parts = qkv.reshape(pass.batch, pass.steps, 3L * config.heads(), config.headDim())
                .split(new long[] {config.heads(), 2L * config.heads()}, 2);
        NDArray attended = attention(parts.get(0), parts.get(1), parts.get(2), layer, pass);
        x = x.add(linear(attended, pass.rows(), weights.get(p + "attn.c_proj.weight"),
                weights.get(p + "attn.c_proj.bias"), pass.count));
        NDArray normed2 = layerNorm(x, p + "ln_2.");
        NDArray up = linear(normed2, pass.rows(), weights.get(p + "mlp.c_fc.weight"), weights.get(p + "mlp.c_fc.bias"),
                pass.count);
        NDArray down = linear(geluTanh(up), pass.rows(), weights.get(p + "mlp.c_proj.weight"),
                weights.get(p + "mlp.c_proj.bias"), pass.count);
        return x.add(down);
    }

    private NDArray llamaBlock(NDArray x, int layer, Pass pass) {
        String p = "model.layers." + layer + ".";
        int heads = config.heads();
        int kvHeads = config.kvHeads();
        NDArray normed = rmsNorm(x, p + "input_layernorm.weight");
        NDArray qkv = linear(normed, pass.rows(), weights.get(FusedLayout.qkv(layer) + ".weight"),
                weights.optional(FusedLayout.qkv(layer) + ".bias"), pass.count);
        // [B, T, heads + 2 kvHeads, D]; queries and keys rotate together, values as they are
        NDList qkAndV = qkv.reshape(pass.batch, pass.steps, heads + 2L * kvHeads, config.headDim())
                .split(new long[] {heads + (long) kvHeads}, 2);
        NDList qk = rotate(qkAndV.get(0), pass).split(new long[] {heads}, 2);
        NDArray attended = attention(qk.get(0), qk.get(1), qkAndV.get(1), layer, pass);
        x = residualProjection(x, attended.reshape(pass.rows(), (long) heads * config.headDim()), pass,
                p + "self_attn.o_proj");
        NDArray normed2 = rmsNorm(x, p + "post_attention_layernorm.weight");
        NDList gateUp = linear(normed2, pass.rows(), weights.get(FusedLayout.gateUp(layer) + ".weight"),
                weights.optional(FusedLayout.gateUp(layer) + ".bias"), pass.count)
                .split(2, 1);
        NDArray gate = gateUp.get(0);
        NDArray swiglu = Activation.sigmoid(gate).muli(gate).muli(gateUp.get(1));
        return residualProjection(x, swiglu, pass, p + "mlp.down_proj");
    }

    /**
     * {@code residual + a W^T (+ b)} on {@code [B*T, .]} rows: without a bias, one addmm whose
     * added input is the residual.
     */
    private NDArray residualProjection(NDArray residual, NDArray a, Pass pass, String prefix) {
        NDArray bias = weights.optional(prefix + ".bias");
        NDArray weight = weights.get(prefix + ".weight");
        return bias == null ? linear(a, pass.rows(), weight, residual, pass.count)
                : residual.add(linear(a, pass.rows(), weight, bias, pass.count));
    }

    /** x @ W^T (+ b) with W {@code [out, in]}: 2 x rows x out x in FLOPs. */
    private static NDArray linear(NDArray x, long rows, NDArray weight, NDArray bias, OperationCount count) {
        Shape w = weight.getShape();
        count.addLinear(2L * rows * w.get(0) * w.get(1));
        NDList out = bias == null ? Linear.linear(x, weight) : Linear.linear(x, weight, bias);
        return out.singletonOrThrow();
    }

    /**
     * Scaled dot-product attention of {@code [B, T, n, D]} queries, keys and values (views of the
     * projection), over the cached and new keys. The new keys and values are written into the
     * cache in place; the cache is read as a view. Grouped-query attention without copying keys:
     * the query heads sharing a key head are folded into that head's rows. The scale is already in
     * the query weights ({@link FusedLayout}).
     */
    private NDArray attention(NDArray q, NDArray k, NDArray v, int layer, Pass pass) {
        long batch = pass.batch;
        long steps = pass.steps;
        int keys = pass.past + pass.steps;
        long d = config.headDim();
        long kvHeads = config.kvHeads();
        long group = config.heads() / kvHeads;
        pass.cache.write(layer, k.transpose(0, 2, 1, 3), v.transpose(0, 2, 1, 3));
        NDArray[] cached = pass.cache.read(layer, keys);
        // [B, heads, T, D] -> [B, kvH, g*T, D] (a view when T = 1)
        NDArray grouped = q.transpose(0, 2, 1, 3).reshape(batch, kvHeads, group * steps, d);
        // scores: [B, kvH, g*T, S]; per head T x S x D multiply-adds
        NDArray scores = grouped.matMul(cached[0].transpose(0, 1, 3, 2));
        pass.count.addAttention(2L * batch * config.heads() * steps * keys * d);
        NDArray probabilities;
        if (pass.mask == null) {
            // nothing to mask: one kernel, which accumulates in float32 and writes the compute dtype
            probabilities = JniUtils.softmax((PtNDArray) scores, -1, dtype);
        } else if (steps == 1) {
            // the float32 mask promotes the sum, so softmax runs in float32
            probabilities = scores.add(pass.mask).softmax(-1).toType(dtype, false);
        } else {
            probabilities = scores.reshape(batch, kvHeads, group, steps, keys).add(pass.mask).softmax(-1)
                    .toType(dtype, false).reshape(batch, kvHeads, group * steps, keys);
        }
        NDArray context = probabilities.matMul(cached[1]);
        pass.count.addAttention(2L * batch * config.heads() * steps * keys * d);
        return context.reshape(batch, config.heads(), steps, d).transpose(0, 2, 1, 3)
                .reshape(batch, steps, config.heads() * d);
    }

    /**
     * HF's rotate-half RoPE on {@code [B, T, n, D]}: x cos + rotate_half(x) sin, with rotate_half(x)
     * sin = [x2, x1] * [-sin, sin] (the swapped halves times the signed table).
     */
    private NDArray rotate(NDArray x, Pass pass) {
        int half = config.headDim() / 2;
        NDList halves = x.split(new long[] {half}, 3);
        NDArray swapped = NDArrays.concat(new NDList(halves.get(1), halves.get(0)), 3);
        return x.mul(pass.cos).addi(swapped.muli(pass.signedSin));
    }

    private void rotaryTables(Pass pass, int[][] positions) {
        int batch = positions.length;
        int steps = positions[0].length;
        int d = config.headDim();
        float[] cos = new float[batch * steps * d];
        float[] sin = new float[batch * steps * d];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                rotaryRow(inverseFrequencies, positions[b][t], cos, sin, (b * steps + t) * d);
            }
        }
        Shape shape = new Shape(batch, steps, 1, d);
        NDManager manager = pass.manager;
        pass.cos = manager.create(cos, shape).toType(dtype, false);
        pass.signedSin = manager.create(sin, shape).toType(dtype, false);
    }

    /**
     * The RoPE tables of one position at {@code base}: {@code cos} gets [c, c], {@code signedSin}
     * [-s, s], with the angles {@code position x inverseFrequencies} in double.
     */
    static void rotaryRow(double[] inverseFrequencies, int position, float[] cos, float[] signedSin, int base) {
        int half = inverseFrequencies.length;
        for (int i = 0; i < half; i++) {
            double angle = position * inverseFrequencies[i];
            float c = (float) Math.cos(angle);
            float s = (float) Math.sin(angle);
            cos[base + i] = c;
            cos[base + half + i] = c;
            signedSin[base + i] = -s;
            signedSin[base + half + i] = s;
        }
    }

    /** RoPE's inverse frequencies {@code theta^(-2i/d)}, {@code i < d/2}. */
    static double[] inverseFrequencies(TransformerConfig config) {
        int half = config.headDim() / 2;
        double[] inverse = new double[half];
        for (int i = 0; i < half; i++) {
            inverse[i] = 1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / config.headDim());
        }
        return inverse;
    }

    /** torch's layer_norm in the compute dtype (it accumulates in float32): one kernel. */
    private NDArray layerNorm(NDArray x, String prefix) {
        return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), weights.get(prefix + "weight"),
                weights.get(prefix + "bias"), (float) config.normEps()).singletonOrThrow();
    }

    /**
     * RMSNorm as the first half of LayerNorm([x, -x]) with the scale stored twice and a zero shift
     * ({@link FusedLayout}): the same value, in three kernels (neg, cat, layer_norm) and a view.
     */
    private NDArray rmsNorm(NDArray x, String weightName) {
        NDArray mirrored = NDArrays.concat(new NDList(x, x.neg()), -1);
        NDArray normed = LayerNorm.layerNorm(mirrored, new Shape(2L * config.hiddenSize()),
                weights.get(FusedLayout.mirrored(weightName)), weights.get(FusedLayout.RMS_ZERO_SHIFT),
                (float) config.normEps()).singletonOrThrow();
        return normed.get(new NDIndex("..., :{}", config.hiddenSize()));
    }

    /**
     * GELU, tanh form (GPT-2's gelu_new): 0.5 x (1 + tanh(z)) = x sigmoid(2z), z = sqrt(2/pi)(x +
     * 0.044715 x^3). The constants are arrays on the device ({@link FusedLayout#GELU_CUBIC}): DJL turns a
     * number operand into a new array copied from the host, which makes the host wait for the GPU.
     */
    private NDArray geluTanh(NDArray x) {
        NDArray z2 = x.square().muli(weights.get(FusedLayout.GELU_CUBIC)).addi(weights.get(FusedLayout.GELU_LINEAR))
                .muli(x);
        return Activation.sigmoid(z2).muli(x);
    }

    static long[] flatten(long[][] rows) {
        int width = rows[0].length;
        long[] out = new long[rows.length * width];
        for (int b = 0; b < rows.length; b++) {
            System.arraycopy(rows[b], 0, out, b * width, width);
        }
        return out;
    }

    static long[] flattenPositions(int[][] rows) {
        int width = rows[0].length;
        long[] out = new long[rows.length * width];
        for (int b = 0; b < rows.length; b++) {
            for (int t = 0; t < width; t++) {
                out[b * width + t] = rows[b][t];
            }
        }
        return out;
    }

    static boolean allValid(boolean[][] keyValid, int keys) {
        for (boolean[] row : keyValid) {
            for (int s = 0; s < keys; s++) {
                if (!row[s]) {
                    return false;
                }
            }
        }
        return true;
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
