package lem.backend.djl.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import lem.api.model.Precision;

/**
 * The weights of one model on one device, in the compute dtype, under their checkpoint names, with
 * the projections that read the same input fused once at load time ({@link FusedLayout}): a
 * Llama-style layer's q, k and v become one {@code qkv_proj} and its gate and up one
 * {@code gate_up_proj}, so that a decode step launches one matmul for each. GPT-2's Conv1D
 * matrices are kept as transposed views so that every projection is a {@code linear} with an
 * {@code [out, in]} weight.
 */
public final class ModelWeights {

    private final Map<String, NDArray> tensors = new HashMap<>();
    private final NDArray lmHead;
    private final long parameterCount;
    private final Precision storedPrecision;
    private final String lmHeadNote;

    private ModelWeights(TransformerConfig config, Map<String, NDArray> loaded, long parameterCount,
            Precision storedPrecision, String lmHeadNote) {
        tensors.putAll(loaded);
        FusedLayout.fuse(config, tensors);
        NDArray head = tensors.get(WeightLayout.LM_HEAD);
        this.lmHead = head != null ? head : tensors.get(WeightLayout.tokenEmbedding(config));
        this.parameterCount = parameterCount;
        this.storedPrecision = storedPrecision;
        this.lmHeadNote = lmHeadNote;
    }

    /**
     * Seeded random weights: normal(0, initializer_range) for matrices and embeddings, ones for norm
     * scales, zeros for biases. Each tensor has its own stream derived from the seed and its name, so
     * a tensor's values do not depend on the others.
     */
    public static ModelWeights synthetic(TransformerConfig config, long seed, NDManager manager, DataType dtype) {
        Map<String, NDArray> loaded = new HashMap<>();
        long count = 0;
        List<TensorSpec> specs = WeightLayout.tensors(config);
        // the values are drawn on every core, a group of tensors at a time (a Llama-3-8B config draws 8e9
        // values); each tensor's own stream keeps them independent of the order
        int group = Math.max(1, Runtime.getRuntime().availableProcessors());
        for (int from = 0; from < specs.size(); from += group) {
            List<TensorSpec> part = specs.subList(from, Math.min(specs.size(), from + group));
            List<float[]> values = part.parallelStream()
                    .map(spec -> syntheticValues(spec, seed, (float) config.initializerRange())).toList();
            for (int i = 0; i < part.size(); i++) {
                TensorSpec spec = part.get(i);
                NDArray array = manager.create(values.get(i), new Shape(spec.shape()));
                loaded.put(spec.name(), place(config, spec, array, dtype));
                count += spec.elementCount();
            }
        }
        return new ModelWeights(config, loaded, count, precisionOf(dtype), null);
    }

    /** The values a synthetic tensor gets. */
    private static float[] syntheticValues(TensorSpec spec, long seed, float std) {
        long n = spec.elementCount();
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor " + spec.name() + " has more than 2^31 elements");
        }
        float[] values = new float[(int) n];
        switch (spec.init()) {
            case ONES -> Arrays.fill(values, 1f);
            case ZEROS -> {
                // already zero
            }
            case NORMAL -> {
                SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + spec.name().hashCode());
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (random.nextGaussian() * std);
                }
            }
        }
        return values;
    }

    /**
     * Reads a Hugging Face folder's safetensors weights.
     *
     * @throws ConfigException naming a missing tensor, or one whose shape or dtype is wrong
     */
    public static ModelWeights fromSafetensors(TransformerConfig config, Path folder, NDManager manager,
            DataType dtype) throws ConfigException {
        Checked checked = check(config, folder);
        Map<String, NDArray> loaded = new HashMap<>();
        Set<String> dtypes = new LinkedHashSet<>();
        long count = 0;
        for (Map.Entry<TensorSpec, SafetensorsFolder.Entry> e : checked.entries().entrySet()) {
            TensorSpec spec = e.getKey();
            SafetensorsFolder.Entry entry = e.getValue();
            dtypes.add(entry.dtype());
            ByteBuffer data = SafetensorsFolder.map(entry);
            NDArray array = createFromBytes(manager, data, entry.dtype(), new Shape(spec.shape()));
            loaded.put(spec.name(), place(config, spec, array, dtype));
            count += spec.elementCount();
        }
        Precision stored = dtypes.size() == 1 ? fromSafetensorsDtype(dtypes.iterator().next()) : precisionOf(dtype);
        return new ModelWeights(config, loaded, count, stored, checked.lmHeadNote());
    }

    /**
     * The tensors a folder's safetensors files hold for a model, checked against its config from
     * the headers alone (every shard's header is read; no weight is).
     *
     * @param entries    where each tensor to load is, in layout order
     * @param lmHeadNote a note about the output projection, or null
     */
    public record Checked(Map<TensorSpec, SafetensorsFolder.Entry> entries, String lmHeadNote) {
    }

    /**
     * Reads the headers of a Hugging Face folder's safetensors files and checks that every tensor
     * the config needs is there with its shape, a dtype this backend reads and the byte length
     * both imply, inside its file.
     *
     * @throws ConfigException naming a missing tensor, or one whose shape, dtype or size is wrong, or
     *                         a file that is not safetensors or is cut short
     */
    public static Checked check(TransformerConfig config, Path folder) throws ConfigException {
        SafetensorsFolder files = SafetensorsFolder.open(folder);
        Map<TensorSpec, SafetensorsFolder.Entry> entries = new java.util.LinkedHashMap<>();
        String note = null;
        if (config.tiedEmbeddings() && find(files, WeightLayout.LM_HEAD) != null) {
            note = "lm_head.weight in the checkpoint is ignored: tie_word_embeddings is true";
        }
        for (TensorSpec spec : WeightLayout.tensors(config)) {
            SafetensorsFolder.Entry entry = find(files, spec.name());
            if (entry == null && spec.name().equals(WeightLayout.LM_HEAD)) {
                // as Hugging Face does for such checkpoints: the output projection is the token embedding
                note = "lm_head.weight is absent although tie_word_embeddings is false: the token embedding"
                        + " is used as the output projection (tied)";
                continue;
            }
            if (entry == null) {
                throw new ConfigException("tensor " + spec.name() + " is missing from the safetensors files in "
                        + folder + " (expected shape " + spec.shapeText() + ", model_type " + config.modelType()
                        + ")");
            }
            if (!Arrays.equals(entry.shape(), spec.shape())) {
                throw new ConfigException("tensor " + spec.name() + " in " + entry.file() + " has shape "
                        + Arrays.toString(entry.shape()) + ", expected " + spec.shapeText()
                        + " from config.json");
            }
            int bytes = SafetensorsFolder.elementBytes(entry.dtype());
            if (bytes == 0) {
                throw new ConfigException("tensor " + spec.name() + " in " + entry.file() + " has dtype "
                        + entry.dtype() + "; allowed: F32, F16, BF16");
            }
            if (entry.byteLength() != spec.elementCount() * bytes) {
                throw new ConfigException("tensor " + spec.name() + " in " + entry.file() + " holds "
                        + entry.byteLength() + " bytes, expected " + spec.elementCount() * bytes + " for shape "
                        + spec.shapeText() + " in " + entry.dtype());
            }
            entries.put(spec, entry);
        }
        return new Checked(java.util.Collections.unmodifiableMap(entries), note);
    }

    private static NDArray createFromBytes(NDManager manager, ByteBuffer data, String dtype, Shape shape) {
        if (dtype.equals("F32")) {
            // copy through a float view so that the engine never sees a byte-order question
            FloatBuffer floats = data.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            float[] values = new float[floats.remaining()];
            floats.get(values);
            return manager.create(values, shape);
        }
        if (dtype.equals("BF16")) {
            // bfloat16 is the upper half of a float32; widened here because DJL 0.35.1's JNI aborts on
            // bfloat16 tensors
            ShortBuffer halves = data.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
            float[] values = new float[halves.remaining()];
            for (int i = 0; i < values.length; i++) {
                values[i] = Float.intBitsToFloat((halves.get(i) & 0xffff) << 16);
            }
            return manager.create(values, shape);
        }
        ByteBuffer direct = ByteBuffer.allocateDirect(data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        direct.put(data.order(ByteOrder.LITTLE_ENDIAN)).flip();
        return manager.create(direct, shape, DataType.FLOAT16);
    }

    private static SafetensorsFolder.Entry find(SafetensorsFolder files, String name) {
        SafetensorsFolder.Entry entry = files.entry(name);
        if (entry == null) {
            // GPT2LMHeadModel checkpoints prefix the body with "transformer."
            entry = files.entry("transformer." + name);
        }
        return entry;
    }

    private static NDArray place(TransformerConfig config, TensorSpec spec, NDArray array, DataType dtype) {
        String name = spec.name();
        // norm scales too: torch's layer_norm takes them in the input's dtype and accumulates in float32
        NDArray typed = array.toType(dtype, false);
        if (typed != array) {
            array.close();
        }
        if (config.family() == TransformerConfig.Family.GPT2 && name.endsWith(".weight")
                && (name.contains(".c_attn.") || name.contains(".c_proj.") || name.contains(".c_fc."))) {
            // Conv1D [in, out] -> linear's [out, in], as a view; linear's matmul then reads it contiguously
            return typed.transpose();
        }
        return typed;
    }

    private static Precision fromSafetensorsDtype(String dtype) {
        return switch (dtype) {
            case "F16" -> Precision.FLOAT16;
            case "BF16" -> Precision.BFLOAT16;
            default -> Precision.FLOAT32;
        };
    }

    static Precision precisionOf(DataType dtype) {
        return switch (dtype) {
            case FLOAT16 -> Precision.FLOAT16;
            case BFLOAT16 -> Precision.BFLOAT16;
            default -> Precision.FLOAT32;
        };
    }

    /** A tensor by checkpoint name; fails loudly when the layout and the decoder disagree. */
    public NDArray get(String name) {
        NDArray array = tensors.get(name);
        if (array == null) {
            throw new IllegalStateException("no tensor " + name);
        }
        return array;
    }

    /** A tensor, or null when the architecture has none by that name (optional biases). */
    public NDArray optional(String name) {
        return tensors.get(name);
    }

    /** The output projection {@code [vocab, hidden]}: lm_head, or the token embedding when tied. */
    public NDArray lmHead() {
        return lmHead;
    }

    /** Sum of tensor sizes, tied weights once. */
    public long parameterCount() {
        return parameterCount;
    }

    /** The precision the weights were stored in (a checkpoint's dtype, or the synthetic dtype). */
    public Precision storedPrecision() {
        return storedPrecision;
    }

    /** A note for the result about the output projection, or null. */
    public String lmHeadNote() {
        return lmHeadNote;
    }

    /** Frees every tensor. */
    public void close() {
        for (NDArray array : tensors.values()) {
            array.close();
        }
        tensors.clear();
    }
}
