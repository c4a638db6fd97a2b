package lem.backend.djl.transformer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The architecture of a decoder-only transformer, read from a Hugging Face {@code config.json}
 * (as a map). GPT-2 keys ({@code n_embd}, {@code n_layer}, ...) and Llama-style keys
 * ({@code hidden_size}, {@code num_hidden_layers}, ...) are both understood.
 */
public final class TransformerConfig {

    /** The two layer designs this backend implements. */
    public enum Family {
        /** Learned positions, LayerNorm, GELU(tanh), fused c_attn, Conv1D weight layout. */
        GPT2,
        /** RoPE, RMSNorm, SwiGLU, grouped-query attention (Llama, Mistral, Qwen2). */
        LLAMA
    }

    private final String modelType;
    private final Family family;
    private final int vocabSize;
    private final int hiddenSize;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int intermediateSize;
    private final int maxPositions;
    private final double normEps;
    private final double ropeTheta;
    private final boolean tiedEmbeddings;
    private final boolean attentionBias;
    private final boolean outputProjectionBias;
    private final boolean mlpBias;
    private final double initializerRange;
    private final List<Integer> eosTokenIds;
    private final int slidingWindow;
    private final Map<String, Object> raw;

    private TransformerConfig(Map<String, Object> config, String source) throws ConfigException {
        raw = Collections.unmodifiableMap(new LinkedHashMap<>(config));
        Object type = config.get("model_type");
        if (!(type instanceof String)) {
            throw new ConfigException(source + ": key model_type is missing; allowed: gpt2, llama, mistral, qwen2");
        }
        modelType = ((String) type).toLowerCase(Locale.ROOT);
        switch (modelType) {
            case "gpt2" -> family = Family.GPT2;
            case "llama", "mistral", "qwen2" -> family = Family.LLAMA;
            default -> throw new ConfigException(source + ": model_type '" + type
                    + "' is not supported by the djl backend; allowed: gpt2, llama, mistral, qwen2");
        }
        if (family == Family.GPT2) {
            vocabSize = requireInt(config, source, "vocab_size");
            hiddenSize = requireInt(config, source, "n_embd");
            layers = requireInt(config, source, "n_layer");
            heads = requireInt(config, source, "n_head");
            kvHeads = heads;
            intermediateSize = optionalInt(config, source, "n_inner", 4 * hiddenSize);
            maxPositions = requireInt(config, source, "n_positions");
            normEps = optionalDouble(config, source, "layer_norm_epsilon", 1e-5);
            ropeTheta = 0;
            tiedEmbeddings = optionalBoolean(config, source, "tie_word_embeddings", true);
            attentionBias = true;
            outputProjectionBias = true;
            mlpBias = true;
            Object activation = config.get("activation_function");
            if (activation != null && !List.of("gelu_new", "gelu_pytorch_tanh", "gelu_fast").contains(activation)) {
                throw new ConfigException(source + ": activation_function '" + activation
                        + "' is not supported; allowed: gelu_new, gelu_pytorch_tanh, gelu_fast (GELU, tanh form)");
            }
        } else {
            vocabSize = requireInt(config, source, "vocab_size");
            hiddenSize = requireInt(config, source, "hidden_size");
            layers = requireInt(config, source, "num_hidden_layers");
            heads = requireInt(config, source, "num_attention_heads");
            kvHeads = optionalInt(config, source, "num_key_value_heads", heads);
            intermediateSize = requireInt(config, source, "intermediate_size");
            maxPositions = optionalInt(config, source, "max_position_embeddings", 4096);
            normEps = optionalDouble(config, source, "rms_norm_eps", 1e-6);
            ropeTheta = optionalDouble(config, source, "rope_theta", 10000.0);
            tiedEmbeddings = optionalBoolean(config, source, "tie_word_embeddings", false);
            // Qwen2 always has q/k/v biases (and none on o_proj); Llama reads attention_bias for all four
            boolean qwen2 = modelType.equals("qwen2");
            attentionBias = qwen2 || optionalBoolean(config, source, "attention_bias", false);
            outputProjectionBias = attentionBias && !qwen2;
            mlpBias = optionalBoolean(config, source, "mlp_bias", false);
            Object scaling = config.get("rope_scaling");
            if (scaling != null) {
                throw new ConfigException(source + ": rope_scaling " + scaling
                        + " is not supported by the djl backend; allowed: null (plain RoPE with rope_theta)");
            }
            Object activation = config.get("hidden_act");
            if (activation != null && !activation.equals("silu")) {
                throw new ConfigException(source + ": hidden_act '" + activation + "' is not supported; allowed: silu");
            }
        }
        int explicitHeadDim = optionalInt(config, source, "head_dim", 0);
        if (explicitHeadDim > 0) {
            headDim = explicitHeadDim;
        } else {
            if (hiddenSize % heads != 0) {
                throw new ConfigException(source + ": hidden size " + hiddenSize + " is not divisible by the "
                        + heads + " attention heads");
            }
            headDim = hiddenSize / heads;
        }
        if (heads % kvHeads != 0) {
            throw new ConfigException(source + ": num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (family == Family.LLAMA && headDim % 2 != 0) {
            throw new ConfigException(source + ": head dimension " + headDim + " must be even for RoPE");
        }
        initializerRange = optionalDouble(config, source, "initializer_range", 0.02);
        eosTokenIds = readEos(config.get("eos_token_id"));
        // Mistral always applies sliding_window; Qwen2 only with use_sliding_window
        boolean windowed = modelType.equals("mistral")
                || (modelType.equals("qwen2") && Boolean.TRUE.equals(config.get("use_sliding_window")));
        slidingWindow = windowed ? optionalInt(config, source, "sliding_window", 0) : 0;
    }

    /**
     * Reads a config map.
     *
     * @param source where the map came from (a file or a preset name), for error messages
     * @throws ConfigException naming the key and what is allowed
     */
    public static TransformerConfig of(Map<String, Object> config, String source) throws ConfigException {
        return new TransformerConfig(config, source);
    }

    private static List<Integer> readEos(Object value) {
        List<Integer> ids = new ArrayList<>();
        if (value instanceof Number n) {
            ids.add(n.intValue());
        } else if (value instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Number n) {
                    ids.add(n.intValue());
                }
            }
        }
        return List.copyOf(ids);
    }

    private static int requireInt(Map<String, Object> config, String source, String key) throws ConfigException {
        Object value = config.get(key);
        if (value == null) {
            throw new ConfigException(source + ": key " + key + " is missing");
        }
        return toPositiveInt(value, source, key);
    }

    private static int optionalInt(Map<String, Object> config, String source, String key, int fallback)
            throws ConfigException {
        Object value = config.get(key);
        return value == null ? fallback : toPositiveInt(value, source, key);
    }

    private static int toPositiveInt(Object value, String source, String key) throws ConfigException {
        if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < 1
                || n.doubleValue() > Integer.MAX_VALUE) {
            throw new ConfigException(source + ": key " + key + " = " + value + " must be a positive integer");
        }
        return n.intValue();
    }

    private static double optionalDouble(Map<String, Object> config, String source, String key, double fallback)
            throws ConfigException {
        Object value = config.get(key);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Number n)) {
            throw new ConfigException(source + ": key " + key + " = " + value + " must be a number");
        }
        return n.doubleValue();
    }

    private static boolean optionalBoolean(Map<String, Object> config, String source, String key, boolean fallback)
            throws ConfigException {
        Object value = config.get(key);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Boolean b)) {
            throw new ConfigException(source + ": key " + key + " = " + value + " must be true or false");
        }
        return b;
    }

    public String modelType() { return modelType; }
    public Family family() { return family; }
    public int vocabSize() { return vocabSize; }
    public int hiddenSize() { return hiddenSize; }
    public int layers() { return layers; }
    public int heads() { return heads; }
    public int kvHeads() { return kvHeads; }
    public int headDim() { return headDim; }
    public int intermediateSize() { return intermediateSize; }
    /** Longest sequence (prompt + output) the positions cover. */
    public int maxPositions() { return maxPositions; }
    public double normEps() { return normEps; }
    public double ropeTheta() { return ropeTheta; }
    public boolean tiedEmbeddings() { return tiedEmbeddings; }
    /** Whether the q, k and v projections have biases. */
    public boolean attentionBias() { return attentionBias; }
    /** Whether the attention output projection (o_proj, GPT-2's c_proj) has a bias. */
    public boolean outputProjectionBias() { return outputProjectionBias; }
    public boolean mlpBias() { return mlpBias; }
    /** Standard deviation of synthetic weights. */
    public double initializerRange() { return initializerRange; }
    public List<Integer> eosTokenIds() { return eosTokenIds; }
    /** Attention window in tokens, or 0 for full attention (not applied: longer sequences are refused). */
    public int slidingWindow() { return slidingWindow; }
    /** The config map as given. */
    public Map<String, Object> raw() { return raw; }
}
