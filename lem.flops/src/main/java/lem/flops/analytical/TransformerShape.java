package lem.flops.analytical;

import java.math.BigInteger;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The shape of a decoder-only transformer, read from its Hugging Face {@code config.json}, with its
 * exact parameter count and the FLOPs of its forward passes.
 *
 * <h2>Layouts</h2>
 * Two layouts are known:
 * <ul>
 * <li>{@code gpt2}: learned position embeddings ({@code n_positions x n_embd}), LayerNorm with weight
 * and bias (two per block and a final one), fused {@code c_attn} (q, k and v, with bias), output
 * projection with bias, a plain MLP {@code c_fc}/{@code c_proj} with biases whose width is
 * {@code n_inner}, or {@code 4 x n_embd} when {@code n_inner} is null or absent. The LM head is
 * always tied to the token embedding.</li>
 * <li>the Llama layout ({@code llama}, {@code mistral}, {@code qwen2}, {@code gemma}): rotary
 * positions (no parameters), RMSNorm with a weight only (two per block and a final one), separate
 * q, k, v and o projections with grouped-query attention ({@code num_key_value_heads} key/value
 * heads, all heads of width {@code head_dim}, or {@code hidden_size / num_attention_heads} when
 * absent), a gated MLP (gate, up and down, width {@code intermediate_size}). Biases: {@code qwen2}
 * has them on q, k and v (not o); {@code llama} and {@code gemma} on q, k, v and o when
 * {@code attention_bias} is true; {@code llama} on the MLP when {@code mlp_bias} is true;
 * {@code mistral} has none. The LM head is tied when {@code tie_word_embeddings} is true, whose
 * default is the one Hugging Face's config class for that model type uses (true for {@code gemma},
 * false for the others).</li>
 * </ul>
 *
 * <h2>Parameters</h2>
 * With {@code V} vocabulary, {@code h} hidden size, {@code L} layers, {@code q = heads x head_dim},
 * {@code k = kv_heads x head_dim}, {@code I} MLP width:
 * <pre>
 * P = V h + positions h                                  token (and gpt2 position) embeddings
 *   + L (h q + 2 h k + q h                               q, k, v, o weights
 *        + attention biases                              q + 2k (+ h for o) where present
 *        + g h I  (+ MLP biases)                         g = 3 gated, 2 plain; gpt2: I + h biases
 *        + 2 norm)                                       norm = h (RMSNorm) or 2h (LayerNorm)
 *   + norm                                               final norm
 *   + (tied ? 0 : V h)                                   LM head
 * </pre>
 *
 * <h2>FLOPs</h2>
 * A multiply-add is 2 FLOPs. Counted: every linear layer (q, k, v, o or the fused {@code c_attn},
 * the MLP, the LM head) and the two attention matmuls, {@code QK^T} and {@code scores x V}, of
 * every query head over the full key length (all cached and new keys, as a dense kernel computes
 * them, not the causal half). Not counted: bias adds, norms, activations, softmax, rotary
 * embedding, residual adds, embedding lookups. Grouped-query attention shrinks the k and v
 * projections but not the attention matmuls: each query head still attends over every key.
 * <p>
 * A linear layer {@code [t x a] . [a x b]} over {@code t} tokens costs {@code 2 t a b}. Per layer,
 * let {@code M = h q + 2 h k + q h + g h I} be the weights that take part in matmuls (biases
 * excluded). Over {@code n} prompt tokens:
 * <pre>
 * projections and MLP       2 n M
 * QK^T                      heads x 2 n n head_dim = 2 q n^2     ([n x d] . [d x n] per head)
 * scores x V                heads x 2 n n head_dim = 2 q n^2     ([n x n] . [n x d] per head)
 * </pre>
 * and the LM head runs on the last prompt position only ({@code 2 h V}): the logits of the first
 * generated token. Hence
 * <pre>
 * prefill(n)    = L (2 n M + 4 q n^2) + 2 h V                    (0 when n = 0)
 * decodeStep(c) = L (2 M + 4 q c) + 2 h V
 * </pre>
 * where a decode step feeds one token and attends over {@code c} keys, its own included. A request
 * with {@code p} prompt tokens and {@code m} generated tokens runs {@code prefill(p)} (which yields
 * token 1) and {@code m - 1} decode steps; the step that yields token {@code j + 1} feeds token
 * {@code j} at context {@code p + j}:
 * <pre>
 * decode(p, m)  = sum_{j=1}^{m-1} decodeStep(p + j)
 *               = (m - 1)(2 L M + 2 h V) + 4 L q ((m - 1) p + m (m - 1) / 2)
 * </pre>
 * Padding is not part of these figures: a backend that pads batched prompts executes more.
 * Sliding-window attention ({@code sliding_window} in {@code mistral}, {@code use_sliding_window}
 * in {@code qwen2}) is counted as dense attention over all keys; {@link #slidingWindowTokens()}
 * tells a caller when that matters.
 * <p>
 * All arithmetic is exact: a figure beyond {@code Long.MAX_VALUE} throws {@link ArithmeticException}.
 */
public final class TransformerShape {
    /** The model types whose layout this class knows. */
    public static final List<String> SUPPORTED_MODEL_TYPES = List.of("gpt2", "llama", "mistral", "qwen2", "gemma");

    private final String modelType;
    private final long vocabSize;
    private final long hiddenSize;
    private final long layers;
    private final long attentionHeads;
    private final long keyValueHeads;
    private final long headDim;
    private final long mlpWidth;
    private final boolean gatedMlp;
    private final long positionEmbeddings;
    private final boolean tiedEmbeddings;
    private final boolean qkvBias;
    private final boolean outputProjectionBias;
    private final boolean mlpBias;
    private final boolean normsWithBias;
    private final long slidingWindowTokens;

    private TransformerShape(String modelType, long vocabSize, long hiddenSize, long layers, long attentionHeads,
            long keyValueHeads, long headDim, long mlpWidth, boolean gatedMlp, long positionEmbeddings,
            boolean tiedEmbeddings, boolean qkvBias, boolean outputProjectionBias, boolean mlpBias,
            boolean normsWithBias, long slidingWindowTokens) {
        this.modelType = modelType;
        this.vocabSize = vocabSize;
        this.hiddenSize = hiddenSize;
        this.layers = layers;
        this.attentionHeads = attentionHeads;
        this.keyValueHeads = keyValueHeads;
        this.headDim = headDim;
        this.mlpWidth = mlpWidth;
        this.gatedMlp = gatedMlp;
        this.positionEmbeddings = positionEmbeddings;
        this.tiedEmbeddings = tiedEmbeddings;
        this.qkvBias = qkvBias;
        this.outputProjectionBias = outputProjectionBias;
        this.mlpBias = mlpBias;
        this.normsWithBias = normsWithBias;
        this.slidingWindowTokens = slidingWindowTokens;
    }

    /**
     * Reads a {@code config.json} as Jackson maps it ({@code Map<String, Object>} of numbers,
     * booleans, strings, nulls). A JSON null counts as absent.
     *
     * @throws ModelConfigException naming the key when {@code model_type} is absent or not one of
     *         {@link #SUPPORTED_MODEL_TYPES}, a required key is missing, or a value is not a
     *         positive whole number (or a boolean where one is expected)
     */
    public static TransformerShape fromConfig(Map<String, ?> config) {
        Objects.requireNonNull(config, "config");
        ConfigReader reader = new ConfigReader(config);
        String modelType = reader.modelType();
        return switch (modelType) {
            case "gpt2" -> gpt2(reader);
            case "llama", "mistral", "qwen2", "gemma" -> llamaLayout(reader, modelType);
            default -> throw new ModelConfigException("model_type", "config.json: model_type '" + modelType
                    + "' is not supported; supported are " + String.join(", ", SUPPORTED_MODEL_TYPES));
        };
    }

    private static TransformerShape gpt2(ConfigReader reader) {
        long hidden = reader.positive("n_embd");
        long heads = reader.positive("n_head");
        long headDim = reader.divide("n_embd", hidden, "n_head", heads);
        long inner = reader.optionalPositive("n_inner", 4 * hidden);
        return new TransformerShape("gpt2", reader.positive("vocab_size"), hidden, reader.positive("n_layer"), heads,
                heads, headDim, inner, false, reader.positive("n_positions"), true, true, true, true, true, 0);
    }

    private static TransformerShape llamaLayout(ConfigReader reader, String modelType) {
        long hidden = reader.positive("hidden_size");
        long heads = reader.positive("num_attention_heads");
        long kvHeads = reader.optionalPositive("num_key_value_heads", heads);
        if (heads % kvHeads != 0) {
            throw new ModelConfigException("num_key_value_heads", "config.json: num_key_value_heads " + kvHeads
                    + " must divide num_attention_heads " + heads);
        }
        long headDim = reader.has("head_dim") ? reader.positive("head_dim")
                : reader.divide("hidden_size", hidden, "num_attention_heads", heads);
        boolean attentionBias = reader.bool("attention_bias", false);
        boolean qkvBias;
        boolean outputBias;
        boolean mlpBias;
        switch (modelType) {
            case "qwen2" -> { qkvBias = true; outputBias = false; mlpBias = false; }
            case "mistral" -> { qkvBias = false; outputBias = false; mlpBias = false; }
            case "llama" -> { qkvBias = attentionBias; outputBias = attentionBias; mlpBias = reader.bool("mlp_bias", false); }
            default -> { qkvBias = attentionBias; outputBias = attentionBias; mlpBias = false; }
        }
        boolean tied = reader.bool("tie_word_embeddings", modelType.equals("gemma"));
        long window = switch (modelType) {
            case "mistral" -> reader.optionalPositive("sliding_window", 0);
            case "qwen2" -> reader.bool("use_sliding_window", false) ? reader.optionalPositive("sliding_window", 0) : 0;
            default -> 0;
        };
        return new TransformerShape(modelType, reader.positive("vocab_size"), hidden,
                reader.positive("num_hidden_layers"), heads, kvHeads, headDim, reader.positive("intermediate_size"),
                true, 0, tied, qkvBias, outputBias, mlpBias, false, window);
    }

    /** The Hugging Face {@code model_type}. */
    public String modelType() {
        return modelType;
    }

    public long vocabSize() {
        return vocabSize;
    }

    public long hiddenSize() {
        return hiddenSize;
    }

    public long layers() {
        return layers;
    }

    public long attentionHeads() {
        return attentionHeads;
    }

    public long keyValueHeads() {
        return keyValueHeads;
    }

    public long headDim() {
        return headDim;
    }

    /** Width of the MLP's hidden layer ({@code intermediate_size}, or gpt2's {@code n_inner}). */
    public long mlpWidth() {
        return mlpWidth;
    }

    public boolean tiedEmbeddings() {
        return tiedEmbeddings;
    }

    /** The attention window in tokens when the config turns sliding-window attention on, else 0. */
    public long slidingWindowTokens() {
        return slidingWindowTokens;
    }

    /** Every parameter: embeddings, projections, biases, norms and an untied LM head. */
    public long parameterCount() {
        long q = queryWidth();
        long k = keyValueWidth();
        long h = hiddenSize;
        long attentionBiases = (qkvBias ? q + 2 * k : 0) + (outputProjectionBias ? h : 0);
        // a bias on every MLP matrix: gate and up (or c_fc) are I wide, down (or c_proj) is h wide
        long mlpBiases = mlpBias ? (gatedMlp ? 2 * mlpWidth : mlpWidth) + h : 0;
        long norm = normsWithBias ? 2 * h : h;
        long perLayer = sum(matmulWeightsPerLayer(), attentionBiases, mlpBiases, 2 * norm);
        long embeddings = sum(mul(vocabSize, h), mul(positionEmbeddings, h));
        long head = tiedEmbeddings ? 0 : mul(vocabSize, h);
        return sum(embeddings, mul(layers, perLayer), norm, head);
    }

    /**
     * FLOPs of a forward pass over {@code promptTokens} prompt tokens, ending with the logits of the
     * last position: {@code L (2 n M + 4 q n^2) + 2 h V}, 0 for no tokens.
     */
    public long prefillFlops(long promptTokens) {
        requireNonNegative("promptTokens", promptTokens);
        if (promptTokens == 0) {
            return 0;
        }
        long linear = mul(2, promptTokens, matmulWeightsPerLayer());
        long attention = mul(4, queryWidth(), promptTokens, promptTokens);
        return sum(mul(layers, sum(linear, attention)), lmHeadFlops());
    }

    /**
     * FLOPs of one decode step that feeds one token and attends over {@code contextTokens} keys,
     * its own included: {@code L (2 M + 4 q c) + 2 h V}.
     */
    public long decodeStepFlops(long contextTokens) {
        if (contextTokens < 1) {
            throw new IllegalArgumentException("contextTokens must be at least 1 (the new token's own key), was "
                    + contextTokens);
        }
        long linear = mul(2, matmulWeightsPerLayer());
        long attention = mul(4, queryWidth(), contextTokens);
        return sum(mul(layers, sum(linear, attention)), lmHeadFlops());
    }

    /**
     * FLOPs of the decode steps of one request: {@code sum_{j=1}^{m-1} decodeStep(p + j)}, 0 when
     * fewer than two tokens were generated (the first comes from the prefill).
     */
    public long decodeFlops(long promptTokens, long outputTokens) {
        requireNonNegative("promptTokens", promptTokens);
        requireNonNegative("outputTokens", outputTokens);
        if (outputTokens < 2) {
            return 0;
        }
        long steps = outputTokens - 1;
        long perStepFixed = sum(mul(layers, 2, matmulWeightsPerLayer()), lmHeadFlops());
        // sum_{j=1}^{m-1} (p + j) = (m - 1) p + m (m - 1) / 2; m (m - 1) is even
        long keysOverSteps = sum(mul(steps, promptTokens), mul(outputTokens, steps) / 2);
        return sum(mul(steps, perStepFixed), mul(4, layers, queryWidth(), keysOverSteps));
    }

    /** {@code prefillFlops(p) + decodeFlops(p, m)}: everything one request computes. */
    public long requestFlops(long promptTokens, long outputTokens) {
        return sum(prefillFlops(promptTokens), decodeFlops(promptTokens, outputTokens));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "%s: %d layers, hidden %d, %d heads (%d key/value) of %d, MLP %d%s, vocabulary %d, %s embeddings",
                modelType, layers, hiddenSize, attentionHeads, keyValueHeads, headDim, mlpWidth,
                gatedMlp ? " gated" : "", vocabSize, tiedEmbeddings ? "tied" : "untied");
    }

    private long queryWidth() {
        return attentionHeads * headDim;
    }

    private long keyValueWidth() {
        return keyValueHeads * headDim;
    }

    /** M: weights of q, k, v, o and the MLP in one layer, the matrices every token is multiplied by. */
    private long matmulWeightsPerLayer() {
        long h = hiddenSize;
        long attention = sum(mul(2, h, queryWidth()), mul(2, h, keyValueWidth()));
        return sum(attention, mul(gatedMlp ? 3 : 2, h, mlpWidth));
    }

    private long lmHeadFlops() {
        return mul(2, hiddenSize, vocabSize);
    }

    private static void requireNonNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative, was " + value);
        }
    }

    private static long mul(long... factors) {
        long product = 1;
        for (long factor : factors) {
            product = Math.multiplyExact(product, factor);
        }
        return product;
    }

    private static long sum(long... terms) {
        long total = 0;
        for (long term : terms) {
            total = Math.addExact(total, term);
        }
        return total;
    }

    /** Typed reads from a Jackson-mapped config.json, with messages naming the key. */
    private static final class ConfigReader {
        private final Map<String, ?> config;

        ConfigReader(Map<String, ?> config) {
            this.config = config;
        }

        String modelType() {
            Object value = config.get("model_type");
            if (value == null) {
                throw new ModelConfigException("model_type", "config.json: missing key 'model_type'; supported are "
                        + String.join(", ", SUPPORTED_MODEL_TYPES));
            }
            if (!(value instanceof String text)) {
                throw new ModelConfigException("model_type", "config.json: model_type must be a string, found "
                        + value);
            }
            return text;
        }

        boolean has(String key) {
            return config.get(key) != null;
        }

        long positive(String key) {
            if (!has(key)) {
                throw new ModelConfigException(key, "config.json: missing key '" + key + "' (required for model_type "
                        + config.get("model_type") + ")");
            }
            return wholeNumber(key, config.get(key));
        }

        long optionalPositive(String key, long absentValue) {
            return has(key) ? wholeNumber(key, config.get(key)) : absentValue;
        }

        boolean bool(String key, boolean absentValue) {
            Object value = config.get(key);
            if (value == null) {
                return absentValue;
            }
            if (value instanceof Boolean flag) {
                return flag;
            }
            throw new ModelConfigException(key, "config.json: " + key + " must be true or false, found " + value);
        }

        long divide(String dividendKey, long dividend, String divisorKey, long divisor) {
            if (dividend % divisor != 0) {
                throw new ModelConfigException(divisorKey, "config.json: " + divisorKey + " " + divisor
                        + " must divide " + dividendKey + " " + dividend + " (or give head_dim)");
            }
            return dividend / divisor;
        }

        private static long wholeNumber(String key, Object value) {
            long number;
            if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
                number = ((Number) value).longValue();
            } else if (value instanceof BigInteger big && big.bitLength() < 63) {
                number = big.longValue();
            } else if (value instanceof Number decimal && decimal.doubleValue() == Math.rint(decimal.doubleValue())
                    && Math.abs(decimal.doubleValue()) < 1e15) {
                number = (long) decimal.doubleValue();
            } else {
                throw new ModelConfigException(key, "config.json: " + key + " must be a positive whole number, found "
                        + value);
            }
            if (number <= 0) {
                throw new ModelConfigException(key, "config.json: " + key + " must be a positive whole number, found "
                        + value);
            }
            return number;
        }
    }
}
