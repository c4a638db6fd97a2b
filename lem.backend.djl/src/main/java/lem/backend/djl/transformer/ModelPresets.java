package lem.backend.djl.transformer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Named architectures for synthetic models, as Hugging Face {@code config.json} maps. The tiny ones
 * run the quickstart (8 requests x 32 prompt tokens x 32 new tokens) in seconds on 2 CPU cores;
 * {@code gpt2-small} is the real GPT-2 (124M) configuration.
 */
public final class ModelPresets {

    private ModelPresets() {
    }

    /** The preset names. */
    public static Set<String> names() {
        return new TreeSet<>(List.of("gpt2-tiny", "gpt2-small", "llama-tiny", "qwen2-tiny", "mistral-tiny"));
    }

    /**
     * The config map of a preset.
     *
     * @throws ConfigException when the name is not a preset
     */
    public static Map<String, Object> config(String name) throws ConfigException {
        Map<String, Object> c = new LinkedHashMap<>();
        switch (name) {
            case "gpt2-tiny" -> gpt2(c, 2048, 128, 2, 4, 512);
            // the configuration of Hugging Face's "gpt2" (124M parameters)
            case "gpt2-small" -> gpt2(c, 50257, 768, 12, 12, 1024);
            case "llama-tiny" -> {
                llama(c, "llama", 2048, 128, 2, 4, 2, 344, 512, 10000.0, false);
                c.put("architectures", List.of("LlamaForCausalLM"));
            }
            case "qwen2-tiny" -> {
                llama(c, "qwen2", 2048, 128, 2, 4, 2, 352, 512, 1000000.0, true);
                c.put("architectures", List.of("Qwen2ForCausalLM"));
            }
            case "mistral-tiny" -> {
                llama(c, "mistral", 2048, 128, 2, 4, 1, 384, 512, 1000000.0, false);
                c.put("sliding_window", null);
                c.put("architectures", List.of("MistralForCausalLM"));
            }
            default -> throw new ConfigException("model preset '" + name + "' is unknown; allowed: " + names()
                    + ", or a path to a config.json");
        }
        return c;
    }

    private static void gpt2(Map<String, Object> c, int vocab, int hidden, int layers, int heads, int positions) {
        c.put("model_type", "gpt2");
        c.put("architectures", List.of("GPT2LMHeadModel"));
        c.put("vocab_size", vocab);
        c.put("n_embd", hidden);
        c.put("n_layer", layers);
        c.put("n_head", heads);
        c.put("n_inner", null);
        c.put("n_positions", positions);
        c.put("n_ctx", positions);
        c.put("activation_function", "gelu_new");
        c.put("layer_norm_epsilon", 1e-5);
        c.put("initializer_range", 0.02);
        c.put("tie_word_embeddings", true);
        c.put("bos_token_id", vocab - 1);
        c.put("eos_token_id", vocab - 1);
    }

    private static void llama(Map<String, Object> c, String type, int vocab, int hidden, int layers, int heads,
            int kvHeads, int intermediate, int positions, double ropeTheta, boolean tied) {
        c.put("model_type", type);
        c.put("vocab_size", vocab);
        c.put("hidden_size", hidden);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        c.put("intermediate_size", intermediate);
        c.put("max_position_embeddings", positions);
        c.put("hidden_act", "silu");
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", ropeTheta);
        c.put("rope_scaling", null);
        c.put("initializer_range", 0.02);
        c.put("tie_word_embeddings", tied);
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
    }
}
