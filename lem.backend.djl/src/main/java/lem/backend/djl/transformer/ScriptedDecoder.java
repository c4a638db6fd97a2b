package lem.backend.djl.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The built-in decoder's forward pass written as one TorchScript method, so that a pass is one
 * call into libtorch instead of one JNI call per operation: the pass's few hundred operations are
 * dispatched by TorchScript's interpreter in C++. The same weights as {@link Decoder} (the
 * {@link FusedLayout} tensors, passed as one list) and the same arithmetic up to rounding: fused
 * qkv and gate/up projections, residual adds inside addmm, RoPE tables computed in double on the
 * host; RMSNorm is {@code torch.rms_norm} (one kernel on CUDA), attention is
 * {@code scaled_dot_product_attention} (fused kernels on CUDA) over a cache of one preallocated
 * {@code [batch, 2, kvHeads, capacity, headDim]} tensor per layer (keys, values) into which each
 * pass writes its new positions with one copy. Grouped-query attention folds the query heads that
 * share a key head into that head's rows, as {@link Decoder} does, so keys are never copied.
 *
 * <p>The module is generated for the architecture and written as a TorchScript archive
 * ({@link ScriptArchive}); its tensors (weights, cache, compute-dtype copies) stay in libtorch as
 * {@link IValue}s. That is also what lets it compute in bfloat16, which DJL 0.35.1's NDArrays
 * cannot hold: the weights are loaded in float32 and cast inside the module, and only float32
 * logits come back. Padding queries see their own key only (a masked row is never empty, so no
 * NaN); real queries never see padding.
 */
public final class ScriptedDecoder implements Forward {

    /** libtorch's ScalarType numbers of the compute dtypes. */
    private static final Map<DataType, Integer> SCALAR_TYPES = Map.of(DataType.FLOAT16, 5, DataType.FLOAT32, 6,
            DataType.BFLOAT16, 15);

    /** Added to the scores of keys a query must not see. */
    private static final float MASKED = -30000f;

    private final TransformerConfig config;
    private final PtNDManager manager;
    private final PtSymbolBlock module;
    /** The weights in the order the module reads them, in the compute dtype. */
    private final IValue weights;
    /** Per row: multiply-adds of every projection of every layer (the LM head apart). */
    private final long linearPerRow;
    private final long lmHeadPerRow;

    /**
     * @param weights the fused weights in the dtype they were loaded in (float32 or float16); kept by
     *                the caller, which may close them once this exists when {@code dtype} differs
     * @param dtype   the compute dtype: float32, float16 or bfloat16
     */
    public ScriptedDecoder(TransformerConfig config, ModelWeights weights, NDManager manager, DataType dtype) {
        Integer scalarType = SCALAR_TYPES.get(dtype);
        if (scalarType == null) {
            throw new IllegalArgumentException("no TorchScript step for compute dtype " + dtype);
        }
        this.config = config;
        this.manager = (PtNDManager) manager;
        Source source = new Source(config, weights);
        this.linearPerRow = source.linearPerRow;
        this.lmHeadPerRow = (long) config.vocabSize() * config.hiddenSize();
        this.module = load(source.text());
        DataType loaded = weights.lmHead().getDataType();
        List<NDArray> made = new ArrayList<>(rotaryTables(loaded));
        PtNDArray[] arrays = new PtNDArray[source.names.size()];
        for (int i = 0; i < arrays.length; i++) {
            String name = source.names.get(i);
            NDArray array = switch (name) {
                case Source.COS -> made.get(0);
                case Source.SIN -> made.get(1);
                case Source.ONES -> made.get(2);
                case Source.ZEROS -> made.get(3);
                default -> name.startsWith(Source.SCALE) ? rmsScale(weights, name, made)
                        : name.startsWith(Source.TRANSPOSED) ? transposed(weights, name, made) : weights.get(name);
            };
            arrays[i] = (PtNDArray) array;
        }
        IValue list = IValue.listFrom(arrays);
        if (loaded == dtype) {
            this.weights = list;
        } else {
            try (IValue type = IValue.from((long) scalarType)) {
                this.weights = IValueUtils.runMethod(module, "prepare", list, type);
            }
            list.close();
        }
        made.forEach(NDArray::close);
    }

    /** An RMSNorm scale: the first half of {@link FusedLayout}'s mirrored {@code [w, w]}, a view. */
    private NDArray rmsScale(ModelWeights weights, String name, List<NDArray> made) {
        NDArray mirrored = weights.get(FusedLayout.mirrored(name.substring(Source.SCALE.length())));
        NDArray scale = mirrored.get(new NDIndex(":{}", config.hiddenSize()));
        made.add(scale);
        return scale;
    }

    /** A projection's {@code W^T [in, out]}, a view, so that the pass calls addmm without a transpose op. */
    private static NDArray transposed(ModelWeights weights, String name, List<NDArray> made) {
        String weight = name.substring(Source.TRANSPOSED.length());
        NDArray view = (weight.equals(Source.LM_HEAD) ? weights.lmHead() : weights.get(weight)).transpose();
        made.add(view);
        return view;
    }

    @Override
    public TransformerConfig config() {
        return config;
    }

    @Override
    public NDArray forward(NDManager manager, long[][] tokenIds, int[][] positions, boolean[][] keyValid,
            KvCache cache, OperationCount count) {
        int batch = tokenIds.length;
        int steps = tokenIds[0].length;
        // the module writes the new keys and values at [past, past + steps) of the batch's cache list
        int past = cache.length();
        IValue held = reserve(cache, batch, past + steps);
        int keys = past + steps;
        boolean masked = steps > 1 || !Decoder.allValid(keyValid, keys);
        List<AutoCloseable> inputs = new ArrayList<>();
        try {
            NDArray ids = track(inputs, manager.create(Decoder.flatten(tokenIds), new Shape(batch, steps)));
            NDArray pos = track(inputs, manager.create(Decoder.flattenPositions(positions), new Shape(batch, steps)));
            NDArray mask = masked ? track(inputs, mask(manager, keyValid, past, steps)) : pos;
            IValue[] arguments = {weights, held, track(inputs, IValue.from((PtNDArray) ids)),
                track(inputs, IValue.from((PtNDArray) pos)), track(inputs, IValue.from((PtNDArray) mask)),
                track(inputs, IValue.from(masked)), track(inputs, IValue.from((long) past))};
            IValue out = module.forward(arguments);
            NDArray logits;
            try {
                logits = out.toTensor(this.manager);
            } finally {
                out.close();
            }
            cache.setLength(keys);
            long rows = (long) batch * steps;
            count.addLinear(2 * rows * linearPerRow + 2L * batch * lmHeadPerRow);
            count.addAttention(2 * 2L * batch * config.heads() * steps * keys * config.headDim() * config.layers());
            return logits;
        } finally {
            for (AutoCloseable input : inputs) {
                try {
                    input.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> held, T value) {
        held.add(value);
        return value;
    }

    /**
     * The batch's cache list, allocated at the first pass or grown (twice the room, held positions
     * copied once) when {@code total} positions do not fit.
     */
    private IValue reserve(KvCache cache, int batch, int total) {
        IValue held = (IValue) cache.attached();
        if (held != null && total <= cache.capacity()) {
            return held;
        }
        int capacity = Math.max(total, held == null ? cache.initialCapacity() : 2 * cache.capacity());
        IValue grown;
        try (IValue rows = IValue.from((long) batch); IValue room = IValue.from((long) capacity);
                IValue length = IValue.from((long) (held == null ? 0 : cache.length()))) {
            grown = IValueUtils.runMethod(module, "resize", weights, held == null ? weights : held, rows, room, length);
        }
        cache.attach(grown);
        cache.setCapacity(capacity);
        return grown;
    }

    /**
     * Which keys each query sees, {@code [B, 1, M, S]} float32, added to the scores: 0 where a real
     * query sees a real key at or before its own position, or a padding query its own key only;
     * {@value #MASKED} elsewhere (finite in float16; a softmax weight of 0). {@code M} is 1 for one
     * new token (broadcast over the query heads); for {@code T} new tokens it is {@code group x T},
     * the folded query rows {@code j T + t} of the query heads sharing a key head. The module casts
     * it to the compute dtype once per pass: a boolean mask costs three more kernels per layer.
     */
    private NDArray mask(NDManager manager, boolean[][] keyValid, int past, int steps) {
        int batch = keyValid.length;
        int keys = past + steps;
        int group = config.heads() / config.kvHeads();
        int rows = steps == 1 ? 1 : group * steps;
        float[] bias = new float[batch * rows * keys];
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < rows; r++) {
                int query = past + r % steps;
                int base = (b * rows + r) * keys;
                for (int s = 0; s < keys; s++) {
                    bias[base + s] = s == query || s < query && keyValid[b][s] ? 0f : MASKED;
                }
            }
        }
        return manager.create(bias, new Shape(batch, 1, rows, keys));
    }

    /**
     * cos [c, c] and signed sin [-s, s] of every position, {@code [maxPositions, headDim]}, then a
     * row of ones and one of zeros {@code [headDim]} (RoPE's identity, for the value rows), in
     * {@code dtype}; none for GPT-2.
     */
    private List<NDArray> rotaryTables(DataType dtype) {
        if (config.family() == TransformerConfig.Family.GPT2) {
            return List.of();
        }
        double[] inverse = Decoder.inverseFrequencies(config);
        int d = config.headDim();
        int positions = config.maxPositions();
        float[] cos = new float[positions * d];
        float[] sin = new float[positions * d];
        for (int p = 0; p < positions; p++) {
            Decoder.rotaryRow(inverse, p, cos, sin, p * d);
        }
        Shape shape = new Shape(positions, d);
        return List.of(manager.create(cos, shape).toType(dtype, false), manager.create(sin, shape).toType(dtype, false),
                manager.ones(new Shape(d), dtype), manager.zeros(new Shape(d), dtype));
    }

    private PtSymbolBlock load(String source) {
        Path file = null;
        try {
            file = Files.createTempFile("lem-decoder-step", ".pt");
            ScriptArchive.write(file, "Step", source, Map.of());
            return JniUtils.loadModule(manager, file, true, new String[0], new String[0], false);
        } catch (IOException e) {
            throw new UncheckedIOException("the decoder's TorchScript step could not be written: " + e.getMessage(), e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    file.toFile().deleteOnExit();
                }
            }
        }
    }

    @Override
    public void close() {
        weights.close();
        module.close();
    }

    /** The TorchScript source of one forward pass for an architecture, and the weights it reads in order. */
    private static final class Source {
        static final String COS = "lem.rope.cos";
        static final String SIN = "lem.rope.signed_sin";
        static final String ONES = "lem.rope.ones";
        static final String ZEROS = "lem.rope.zeros";
        static final String LM_HEAD = "lem.lm_head";
        /** Prefix of an RMSNorm scale: the checkpoint's norm weight name follows. */
        static final String SCALE = "lem.rms_scale:";
        /** Prefix of a projection's transposed weight: the weight's name follows. */
        static final String TRANSPOSED = "lem.transposed:";

        final List<String> names = new ArrayList<>();
        private final Map<String, Integer> index = new HashMap<>();
        private final TransformerConfig config;
        private final ModelWeights weights;
        private final StringBuilder body = new StringBuilder();
        long linearPerRow;

        Source(TransformerConfig config, ModelWeights weights) {
            this.config = config;
            this.weights = weights;
            // w[0], whose dtype and device the cache and the mask take
            w(WeightLayout.tokenEmbedding(config));
            if (config.family() == TransformerConfig.Family.GPT2) {
                gpt2();
            } else {
                llama();
            }
        }

        /** {@code w[i]} of a weight, registering it. */
        private String w(String name) {
            return "w[" + index.computeIfAbsent(name, n -> {
                names.add(n);
                return names.size() - 1;
            }) + "]";
        }

        /**
         * {@code x W^T (+ b)} of a projection on rows {@code x [rows, in]} (its bias when the checkpoint
         * has one), counted per row: one mm or addmm on the transposed view, no other op.
         */
        private String linear(String x, String prefix) {
            String bias = weights.optional(prefix + ".bias") == null ? null : w(prefix + ".bias");
            return bias == null ? "torch.mm(" + x + ", " + transposed(prefix) + ")"
                    : "torch.addmm(" + bias + ", " + x + ", " + transposed(prefix) + ")";
        }

        private String transposed(String prefix) {
            Shape shape = weights.get(prefix + ".weight").getShape();
            linearPerRow += shape.get(0) * shape.get(1);
            return w(TRANSPOSED + prefix + ".weight");
        }

        /** {@code x + a W^T (+ b)} on rows: one addmm whose added input is the residual when there is no bias. */
        private String residual(String x, String a, String prefix) {
            if (weights.optional(prefix + ".bias") != null) {
                return "torch.add(" + x + ", " + linear(a, prefix) + ")";
            }
            return "torch.addmm(" + x + ", " + a + ", " + transposed(prefix) + ")";
        }

        private String rmsNorm(String x, String normWeight) {
            return "torch.rms_norm(" + x + ", [" + config.hiddenSize() + "], " + w(SCALE + normWeight) + ", " + eps()
                    + ")";
        }

        private void line(String text) {
            body.append("    ").append(text).append('\n');
        }

        /**
         * The projection's rows {@code [n, t, heads + 2 kvHeads, d]} are rotated in one go: seen as
         * {@code [n, t, group + 2, kvHeads, d]}, the first {@code group + 1} rows (queries, keys) by
         * the position's tables, the last (values) by the identity (cos 1, sin 0: exact); keys and
         * values are then one slice, written into the cache by one copy.
         */
        private void llama() {
            int heads = config.heads();
            int kv = config.kvHeads();
            int d = config.headDim();
            int group = heads / kv;
            int inter = config.intermediateSize();
            line("x = torch.reshape(torch.embedding(" + w(WeightLayout.tokenEmbedding(config)) + ", ids), [n * t, "
                    + config.hiddenSize() + "])");
            for (String[] table : new String[][] {{"cos", COS, ONES}, {"sin", SIN, ZEROS}}) {
                line(table[0] + " = torch.unsqueeze(torch.embedding(" + w(table[1]) + ", pos), 2)");
                line(table[0] + " = torch.unsqueeze(torch.cat([torch.expand(" + table[0] + ", [n, t, " + (group + 1)
                        + ", " + d + "]), torch.expand(" + w(table[2]) + ", [n, t, 1, " + d + "])], 2), 3)");
            }
            for (int layer = 0; layer < config.layers(); layer++) {
                String p = "model.layers." + layer + ".";
                line("h = " + rmsNorm("x", p + "input_layernorm.weight"));
                line("qkv = torch.reshape(" + linear("h", FusedLayout.qkv(layer)) + ", [n, t, " + (group + 2) + ", "
                        + kv + ", " + d + "])");
                line("qkv = torch.reshape(self.rope(qkv, cos, sin), [n, t, " + (heads + 2 * kv) + ", " + d + "])");
                line("a = self.attend(qkv, cache[" + layer + "], mask, masked, past, n, t)");
                line("x = " + residual("x", "a", p + "self_attn.o_proj"));
                line("h = " + rmsNorm("x", p + "post_attention_layernorm.weight"));
                line("gu = " + linear("h", FusedLayout.gateUp(layer)));
                line("s = torch.mul(torch.silu(torch.slice(gu, 1, 0, " + inter + ")), torch.slice(gu, 1, " + inter
                        + ", " + 2 * inter + "))");
                line("x = " + residual("x", "s", p + "mlp.down_proj"));
            }
            line("last = torch.select(torch.reshape(x, [n, t, " + config.hiddenSize() + "]), 1, -1)");
            line("logits = torch.mm(" + rmsNorm("last", "model.norm.weight") + ", " + w(TRANSPOSED + LM_HEAD) + ")");
        }

        private void gpt2() {
            int heads = config.heads();
            int h = config.hiddenSize();
            line("x = torch.reshape(torch.add(torch.embedding(" + w("wte.weight") + ", ids), torch.embedding("
                    + w("wpe.weight") + ", pos)), [n * t, " + h + "])");
            for (int layer = 0; layer < config.layers(); layer++) {
                String p = "h." + layer + ".";
                line("h = " + layerNorm("x", p + "ln_1."));
                line("qkv = torch.reshape(" + linear("h", p + "attn.c_attn") + ", [n, t, " + 3 * heads + ", "
                        + config.headDim() + "])");
                line("a = self.attend(qkv, cache[" + layer + "], mask, masked, past, n, t)");
                line("x = torch.add(x, " + linear("a", p + "attn.c_proj") + ")");
                line("h = " + layerNorm("x", p + "ln_2."));
                line("u = torch.gelu(" + linear("h", p + "mlp.c_fc") + ", approximate=\"tanh\")");
                line("x = torch.add(x, " + linear("u", p + "mlp.c_proj") + ")");
            }
            line("last = torch.select(torch.reshape(x, [n, t, " + h + "]), 1, -1)");
            line("logits = torch.mm(" + layerNorm("last", "ln_f.") + ", " + w(TRANSPOSED + LM_HEAD) + ")");
        }

        private String layerNorm(String x, String prefix) {
            return "torch.layer_norm(" + x + ", [" + config.hiddenSize() + "], " + w(prefix + "weight") + ", "
                    + w(prefix + "bias") + ", " + eps() + ")";
        }

        private String eps() {
            return String.format(Locale.ROOT, "%.10e", config.normEps());
        }

        String text() {
            int heads = config.heads();
            int kv = config.kvHeads();
            int d = config.headDim();
            int group = heads / kv;
            return "class Step(Module):\n"
                    + "  __parameters__ = []\n"
                    + "  __buffers__ = []\n"
                    + "  training : bool\n"
                    + "  def forward(self: __torch__.Step, w: List[Tensor], cache: List[Tensor], ids: Tensor,"
                    + " pos: Tensor, mask: Tensor, masked: bool, past: int) -> Tensor:\n"
                    + "    n = torch.size(ids, 0)\n"
                    + "    t = torch.size(ids, 1)\n"
                    // the additive mask in the compute dtype, once per pass
                    + "    if masked:\n"
                    + "      mask = torch.to(mask, w[0])\n"
                    + body
                    + "    return torch.to(logits, 6)\n"
                    // rotate-half RoPE: x cos + [x2, x1] [-sin, sin]
                    + "  def rope(self: __torch__.Step, x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:\n"
                    + "    halves = torch.chunk(x, 2, -1)\n"
                    + "    return torch.addcmul(torch.mul(x, cos), torch.cat([halves[1], halves[0]], -1), sin)\n"
                    // qkv [n, t, heads + 2 kv, d]; the new keys and values go into the layer's cache [n, 2, kv,
                    // capacity, d] in place, one copy; the query heads sharing a key head are folded into its rows
                    // [n, kv, group * t, d]; returns [n * t, heads * d]
                    + "  def attend(self: __torch__.Step, qkv: Tensor, c: Tensor, mask: Tensor, masked: bool,"
                    + " past: int, n: int, t: int) -> Tensor:\n"
                    + "    end = past + t\n"
                    + "    kv = torch.reshape(torch.slice(qkv, 2, " + heads + ", " + (heads + 2 * kv) + "), [n, t, 2, "
                    + kv + ", " + d + "])\n"
                    + "    written = torch.copy_(torch.slice(c, 3, past, end), torch.permute(kv, [0, 2, 3, 1, 4]))\n"
                    + "    q = torch.reshape(torch.transpose(torch.slice(qkv, 2, 0, " + heads + "), 1, 2), [n, " + kv
                    + ", " + group + " * t, " + d + "])\n"
                    + "    keys = torch.slice(torch.select(c, 1, 0), 2, 0, end)\n"
                    + "    values = torch.slice(torch.select(c, 1, 1), 2, 0, end)\n"
                    + "    if masked:\n"
                    + "      a = torch.scaled_dot_product_attention(q, keys, values, mask, 0.0, False, scale=1.0)\n"
                    + "    else:\n"
                    + "      a = torch.scaled_dot_product_attention(q, keys, values, None, 0.0, False, scale=1.0)\n"
                    + "    a = torch.transpose(torch.reshape(a, [n, " + heads + ", t, " + d + "]), 1, 2)\n"
                    + "    return torch.reshape(a, [n * t, " + heads * d + "])\n"
                    + "  def resize(self: __torch__.Step, w: List[Tensor], cache: List[Tensor], n: int, capacity: int,"
                    + " length: int) -> List[Tensor]:\n"
                    + "    out = annotate(List[Tensor], [])\n"
                    + "    for i in range(" + config.layers() + "):\n"
                    + "      c = torch.new_zeros(w[0], [n, 2, " + kv + ", capacity, " + d + "])\n"
                    + "      if length > 0:\n"
                    + "        cw = torch.copy_(torch.slice(c, 3, 0, length), torch.slice(cache[i], 3, 0, length))\n"
                    + "      out.append(c)\n"
                    + "    return out\n"
                    + "  def prepare(self: __torch__.Step, w: List[Tensor], dtype: int) -> List[Tensor]:\n"
                    + "    out = annotate(List[Tensor], [])\n"
                    + "    for x in w:\n"
                    // same strides: a transposed weight stays a transposed layout
                    + "      out.append(torch.to(x, dtype))\n"
                    + "    return out\n";
        }
    }
}
