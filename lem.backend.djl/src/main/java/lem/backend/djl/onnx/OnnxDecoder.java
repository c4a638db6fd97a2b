package lem.backend.djl.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import lem.backend.djl.transformer.BatchForward;
import lem.backend.djl.transformer.ConfigException;
import lem.backend.djl.transformer.OperationCount;

/**
 * An ONNX decoder with KV cache on ONNX Runtime's Java API. The inputs and outputs are taken from the
 * session (names, element types, the cache's shape), not from one export. Per step, lem creates the
 * small id, mask and position tensors in direct buffers the runtime reads in place; each step's
 * {@code present.<i>} tensors are fed back as the next step's {@code past_key_values.<i>} as they are
 * (no copy through Java); only the logits are copied to the host, and only each row's last position
 * is kept.
 */
public final class OnnxDecoder implements AutoCloseable {

    /** The {@code execution_provider} option's values. */
    public static final List<String> PROVIDERS = List.of("cpu", "cuda", "tensorrt");

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final DecoderLayout layout;
    private final OnnxFlops flops;
    private final int vocab;
    private final long kvHeads;
    private final long headDim;
    private final String provider;
    private final Set<String> outputNames = new LinkedHashSet<>();

    private OnnxDecoder(OrtEnvironment environment, OrtSession session, DecoderLayout layout, OnnxFolder folder,
            String provider) {
        this.environment = environment;
        this.session = session;
        this.layout = layout;
        this.flops = new OnnxFlops(folder);
        this.vocab = folder.vocabSize();
        this.kvHeads = layout.kvHeads() > 0 ? layout.kvHeads() : folder.kvHeads();
        this.headDim = layout.headDim() > 0 ? layout.headDim() : folder.headDim();
        this.provider = provider;
        outputNames.add(DecoderLayout.LOGITS);
        for (int layer = 0; layer < layout.layers(); layer++) {
            outputNames.add(DecoderLayout.present(layer, "key"));
            outputNames.add(DecoderLayout.present(layer, "value"));
        }
    }

    /** The execution providers the installed ONNX Runtime has, as lem names them (and ONNX Runtime's own names). */
    public static Set<String> availableProviders() {
        Set<String> names = new TreeSet<>();
        for (OrtProvider p : OrtEnvironment.getAvailableProviders()) {
            names.add(lemName(p));
        }
        return names;
    }

    private static String lemName(OrtProvider provider) {
        return switch (provider) {
            case CPU -> "cpu";
            case CUDA -> "cuda";
            case TENSOR_RT -> "tensorrt";
            default -> provider.getName();
        };
    }

    /**
     * Checks that an execution provider is known and installed.
     *
     * @return a message naming the option key, the value and what is available; null when it is fine
     */
    public static String providerProblem(String key, String provider) {
        if (!PROVIDERS.contains(provider)) {
            return "option " + key + " = " + provider + " is not an execution provider lem can choose; allowed: "
                    + PROVIDERS;
        }
        Set<String> available = availableProviders();
        if (!available.contains(provider)) {
            return "option " + key + " = " + provider + ": the installed ONNX Runtime has no " + provider
                    + " execution provider; available: " + available + " (lem.onnxruntime carries the CPU build; a GPU"
                    + " host needs ONNX Runtime's GPU build, see lem.backend.djl/README.md)";
        }
        return null;
    }

    /**
     * Starts a session on a checked folder.
     *
     * @param provider  cpu, cuda or tensorrt (checked with {@link #providerProblem} first)
     * @param deviceId  the CUDA ordinal for cuda and tensorrt
     * @param threads   intra-op threads, or 0 for ONNX Runtime's default
     * @throws ConfigException when ONNX Runtime refuses the model or the session's inputs are not a
     *                         decoder lem can feed
     */
    public static OnnxDecoder open(OnnxFolder folder, String provider, int deviceId, int threads)
            throws ConfigException {
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (threads > 0) {
                options.setIntraOpNumThreads(threads);
            }
            switch (provider) {
                case "cuda" -> options.addCUDA(deviceId);
                case "tensorrt" -> {
                    options.addTensorrt(deviceId);
                    // nodes TensorRT does not take run on CUDA
                    options.addCUDA(deviceId);
                }
                default -> {
                    // the CPU provider is always there
                }
            }
            OrtSession session = environment.createSession(folder.modelFile().toString(), options);
            try {
                DecoderLayout layout = DecoderLayout.of(values(session.getInputInfo()), values(session.getOutputInfo()),
                        folder.modelFile() + " (as ONNX Runtime loaded it)");
                return new OnnxDecoder(environment, session, layout, folder, provider);
            } catch (ConfigException | RuntimeException e) {
                session.close();
                throw e;
            }
        } catch (OrtException e) {
            throw new ConfigException("ONNX Runtime could not load " + folder.modelFile() + " with the " + provider
                    + " execution provider: " + e.getMessage(), e);
        }
    }

    private static List<OnnxGraph.Value> values(Map<String, NodeInfo> infos) {
        List<OnnxGraph.Value> values = new ArrayList<>();
        for (Map.Entry<String, NodeInfo> e : infos.entrySet()) {
            if (e.getValue().getInfo() instanceof TensorInfo t) {
                String[] names = t.getDimensionNames();
                values.add(new OnnxGraph.Value(e.getKey(), onnxCode(t.type), t.getShape(), names));
            } else {
                values.add(new OnnxGraph.Value(e.getKey(), -1, new long[0], new String[0]));
            }
        }
        return values;
    }

    /** The ONNX element type code of a Java-side type (the codes {@link OnnxGraph} reads from files). */
    private static int onnxCode(OnnxJavaType type) {
        return switch (type) {
            case FLOAT -> OnnxGraph.FLOAT;
            case FLOAT16 -> OnnxGraph.FLOAT16;
            case BFLOAT16 -> OnnxGraph.BFLOAT16;
            case INT64 -> OnnxGraph.INT64;
            case INT32 -> OnnxGraph.INT32;
            case BOOL -> OnnxGraph.BOOL;
            default -> -1;
        };
    }

    public DecoderLayout layout() {
        return layout;
    }

    public OnnxFlops flops() {
        return flops;
    }

    /** The execution provider the session runs on. */
    public String provider() {
        return provider;
    }

    /** A new batch: its cache starts empty. */
    public BatchForward start() {
        return new Batch();
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not close the session: " + e.getMessage(), e);
        }
    }

    /** One batch's passes: the last step's result holds the cache the next step reads. */
    private final class Batch implements BatchForward {
        private OrtSession.Result previous;
        private int pastLength;

        @Override
        public float[] forward(long[][] tokenIds, int[][] positions, boolean[][] keyValid, OperationCount count) {
            int batch = tokenIds.length;
            int steps = tokenIds[0].length;
            int keys = pastLength + steps;
            boolean cached = pastLength > 0;
            Map<String, OnnxTensor> created = new HashMap<>();
            try {
                Map<String, OnnxTensor> inputs = new HashMap<>();
                LongBuffer ids = longs(batch * steps);
                LongBuffer mask = longs(batch * keys);
                LongBuffer pos = longs(batch * steps);
                for (int b = 0; b < batch; b++) {
                    for (int t = 0; t < steps; t++) {
                        ids.put(tokenIds[b][t]);
                        pos.put(positions[b][t]);
                    }
                    for (int s = 0; s < keys; s++) {
                        mask.put(keyValid[b][s] ? 1 : 0);
                    }
                }
                created.put(DecoderLayout.INPUT_IDS, OnnxTensor.createTensor(environment, ids.flip(),
                        new long[] {batch, steps}));
                created.put(DecoderLayout.ATTENTION_MASK, OnnxTensor.createTensor(environment, mask.flip(),
                        new long[] {batch, keys}));
                if (layout.positionIds()) {
                    created.put(DecoderLayout.POSITION_IDS, OnnxTensor.createTensor(environment, pos.flip(),
                            new long[] {batch, steps}));
                }
                if (layout.useCacheBranch()) {
                    ByteBuffer flag = ByteBuffer.allocateDirect(1).put((byte) (previous != null ? 1 : 0)).flip();
                    created.put(DecoderLayout.USE_CACHE_BRANCH, OnnxTensor.createTensor(environment, flag,
                            new long[] {1}, OnnxJavaType.BOOL));
                }
                inputs.putAll(created);
                for (int layer = 0; layer < layout.layers(); layer++) {
                    for (String part : List.of("key", "value")) {
                        OnnxTensor past;
                        if (previous == null) {
                            past = emptyCache(batch);
                            created.put(DecoderLayout.past(layer, part), past);
                        } else {
                            past = (OnnxTensor) previous.get(DecoderLayout.present(layer, part)).orElseThrow();
                        }
                        inputs.put(DecoderLayout.past(layer, part), past);
                    }
                }
                OrtSession.Result result = session.run(inputs, outputNames);
                if (previous != null) {
                    previous.close();
                }
                previous = result;
                pastLength = keys;
                count.add(flops.linearFlops(batch, steps, cached), flops.attentionFlops(batch, steps, keys, cached));
                return lastPositions((OnnxTensor) result.get(DecoderLayout.LOGITS).orElseThrow(), batch);
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
            } finally {
                for (OnnxTensor t : created.values()) {
                    t.close();
                }
            }
        }

        private OnnxTensor emptyCache(int batch) throws OrtException {
            long[] shape = {batch, kvHeads, 0, headDim};
            if (layout.cacheType() == OnnxGraph.FLOAT16) {
                return OnnxTensor.createTensor(environment, ByteBuffer.allocateDirect(0), shape, OnnxJavaType.FLOAT16);
            }
            return OnnxTensor.createTensor(environment, ByteBuffer.allocateDirect(0).asFloatBuffer(), shape);
        }

        /** Each row's last position of logits {@code [B, T, V]} (or {@code [B, V]}), as float32. */
        private float[] lastPositions(OnnxTensor logits, int batch) {
            long[] shape = logits.getInfo().getShape();
            int width = (int) shape[shape.length - 1];
            if (width != vocab) {
                throw new IllegalStateException("logits have " + width + " entries per position but config.json says"
                        + " vocab_size " + vocab);
            }
            long rowLength = logits.getInfo().getNumElements() / batch;
            float[] out = new float[batch * vocab];
            if (layout.logitsType() == OnnxGraph.FLOAT16) {
                ShortBuffer halves = logits.getShortBuffer();
                for (int b = 0; b < batch; b++) {
                    int from = (int) ((b + 1) * rowLength - vocab);
                    for (int v = 0; v < vocab; v++) {
                        out[b * vocab + v] = halfToFloat(halves.get(from + v));
                    }
                }
                return out;
            }
            FloatBuffer floats = logits.getFloatBuffer();
            for (int b = 0; b < batch; b++) {
                floats.get((int) ((b + 1) * rowLength - vocab), out, b * vocab, vocab);
            }
            return out;
        }

        @Override
        public void close() {
            if (previous != null) {
                previous.close();
                previous = null;
            }
            pastLength = 0;
        }
    }

    private static LongBuffer longs(int count) {
        return ByteBuffer.allocateDirect(count * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    /** IEEE 754 half to float. */
    static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float value = mantissa / 1024f / 16384f;
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
