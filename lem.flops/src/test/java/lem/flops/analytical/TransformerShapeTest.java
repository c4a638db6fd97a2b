package lem.flops.analytical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

class TransformerShapeTest {

    /** Reads a test config.json as a backend does: Jackson into a Map. */
    static Map<String, Object> config(String name) throws IOException {
        try (InputStream in = TransformerShapeTest.class.getResourceAsStream("/configs/" + name)) {
            @SuppressWarnings("unchecked")
            Map<String, Object> map = new ObjectMapper().readValue(in, Map.class);
            return map;
        }
    }

    /**
     * A tiny Llama: V=10, h=8, 4 heads of d=2 (q = 8), 2 key/value heads (k = 4), I=12, 2 layers, untied.
     */
    static Map<String, Object> tinyLlama() {
        Map<String, Object> config = new HashMap<>();
        config.put("model_type", "llama");
        config.put("vocab_size", 10);
        config.put("hidden_size", 8);
        config.put("num_attention_heads", 4);
        config.put("num_key_value_heads", 2);
        config.put("intermediate_size", 12);
        config.put("num_hidden_layers", 2);
        config.put("tie_word_embeddings", false);
        return config;
    }

    @Test
    void tinyLlamaParametersByHand() {
        // embed 10x8 = 80
        // per layer: q 8x8 = 64, k 8x4 = 32, v 8x4 = 32, o 8x8 = 64 -> 192
        //            gate 8x12 = 96, up 96, down 12x8 = 96 -> 288; two RMSNorms 2x8 = 16 -> 496
        // 2 layers 992; final norm 8; untied LM head 8x10 = 80
        // 80 + 992 + 8 + 80 = 1160
        assertEquals(1160, TransformerShape.fromConfig(tinyLlama()).parameterCount());
    }

    @Test
    void tinyLlamaPrefillByHand() {
        // n = 3 tokens, per layer, in multiply-adds:
        //   q [3x8].[8x8] 192, k [3x8].[8x4] 96, v 96, o [3x8].[8x8] 192
        //   gate [3x8].[8x12] 288, up 288, down [3x12].[12x8] 288          -> 1440 MACs = 2880 FLOPs
        //   QK^T 4 heads x [3x2].[2x3] = 4 x 18, scores x V 4 x [3x3].[3x2] = 4 x 18 -> 144 MACs = 288 FLOPs
        // 2 layers x 3168 = 6336; LM head on the last position [1x8].[8x10] 80 MACs = 160 FLOPs
        assertEquals(6496, TransformerShape.fromConfig(tinyLlama()).prefillFlops(3));
    }

    @Test
    void tinyLlamaDecodeStepByHand() {
        // one token, 4 keys: projections and MLP 480 MACs = 960 FLOPs
        //   QK^T 4 heads x [1x2].[2x4] = 4 x 8, scores x V 4 x [1x4].[4x2] = 4 x 8 -> 64 MACs = 128 FLOPs
        // 2 layers x 1088 = 2176; LM head 160
        TransformerShape shape = TransformerShape.fromConfig(tinyLlama());
        assertEquals(2336, shape.decodeStepFlops(4));
        // 5 keys: attention 4 x (10 + 10) = 80 MACs = 160 FLOPs; 2 x (960 + 160) + 160
        assertEquals(2400, shape.decodeStepFlops(5));
    }

    @Test
    void requestIsPrefillAndDecodeStepsOverGrowingContext() {
        // 3 prompt tokens, 3 generated: prefill(3) yields token 1; token 2 at 4 keys, token 3 at 5 keys
        TransformerShape shape = TransformerShape.fromConfig(tinyLlama());
        assertEquals(2336 + 2400, shape.decodeFlops(3, 3));
        assertEquals(6496 + 2336 + 2400, shape.requestFlops(3, 3));
        assertEquals(0, shape.decodeFlops(3, 1), "the only generated token comes from the prefill");
        assertEquals(0, shape.decodeFlops(3, 0));
        assertEquals(0, shape.prefillFlops(0));
    }

    @Test
    void closedFormDecodeEqualsStepByStepSum() throws IOException {
        for (String name : new String[] {"gpt2.json", "tinyllama-1.1b.json", "qwen2-0.5b.json"}) {
            TransformerShape shape = TransformerShape.fromConfig(config(name));
            for (int prompt : new int[] {1, 7, 128}) {
                for (int generated : new int[] {2, 3, 64}) {
                    long stepByStep = 0;
                    for (int j = 1; j < generated; j++) {
                        stepByStep += shape.decodeStepFlops(prompt + j);
                    }
                    assertEquals(stepByStep, shape.decodeFlops(prompt, generated), name + " p=" + prompt
                            + " m=" + generated);
                }
            }
        }
    }

    /** A tiny GPT-2: V=10, n_positions=16, n_embd=4, n_head=2, n_layer=1, n_inner absent so 16. */
    static Map<String, Object> tinyGpt2() {
        Map<String, Object> config = new HashMap<>();
        config.put("model_type", "gpt2");
        config.put("vocab_size", 10);
        config.put("n_positions", 16);
        config.put("n_embd", 4);
        config.put("n_head", 2);
        config.put("n_layer", 1);
        config.put("n_inner", null);
        return config;
    }

    @Test
    void tinyGpt2ByHand() {
        TransformerShape shape = TransformerShape.fromConfig(tinyGpt2());
        // wte 10x4 = 40, wpe 16x4 = 64
        // layer: ln_1 4+4 = 8, c_attn 4x12+12 = 60, c_proj 4x4+4 = 20, ln_2 8, c_fc 4x16+16 = 80,
        //        c_proj 16x4+4 = 68 -> 244; ln_f 8; LM head tied
        // 40 + 64 + 244 + 8 = 356
        assertEquals(356, shape.parameterCount());
        // prefill over 2 tokens: c_attn [2x4].[4x12] 96, c_proj [2x4].[4x4] 32, c_fc [2x4].[4x16] 128,
        //   c_proj [2x16].[16x4] 128 -> 384 MACs = 768; QK^T 2 heads x [2x2].[2x2] = 16, scores x V 16
        //   -> 32 MACs = 64; LM head [1x4].[4x10] 40 MACs = 80 -> 912
        assertEquals(912, shape.prefillFlops(2));
        // decode at 3 keys: 192 MACs = 384; attention 2 heads x (6 + 6) = 24 MACs = 48; LM head 80 -> 512
        assertEquals(512, shape.decodeStepFlops(3));
    }

    @Test
    void gpt2InnerWidthFromConfigWhenGiven() {
        Map<String, Object> config = tinyGpt2();
        config.put("n_inner", 8);
        // c_fc 4x8+8 = 40 and c_proj 8x4+4 = 36 replace 80 and 68: 356 - 148 + 76
        assertEquals(284, TransformerShape.fromConfig(config).parameterCount());
    }

    @Test
    void gpt2SmallHasItsPublishedParameterCount() throws IOException {
        // 124,439,808: the count of openai-community/gpt2 (wte 38,597,376 + wpe 786,432
        // + 12 x 7,087,872 + ln_f 1,536)
        assertEquals(124_439_808L, TransformerShape.fromConfig(config("gpt2.json")).parameterCount());
    }

    @Test
    void llama2With7BHasItsPublishedParameterCount() throws IOException {
        // 6,738,415,616 (meta-llama/Llama-2-7b-hf): embed and LM head 2 x 131,072,000
        // + 32 x (4 x 4096^2 + 3 x 4096 x 11008 + 2 x 4096) + 4096
        assertEquals(6_738_415_616L, TransformerShape.fromConfig(config("llama-2-7b.json")).parameterCount());
    }

    @Test
    void tinyLlamaHasItsPublishedParameterCount() throws IOException {
        // 1,100,048,384 (TinyLlama-1.1B): 2 x 65,536,000 + 22 x (2 x 2048^2 + 2 x 2048 x 256
        // + 3 x 2048 x 5632 + 2 x 2048) + 2048; grouped-query attention with 4 key/value heads
        assertEquals(1_100_048_384L, TransformerShape.fromConfig(config("tinyllama-1.1b.json")).parameterCount());
    }

    @Test
    void mistral7BHasItsPublishedParameterCount() throws IOException {
        // 7,241,732,096 (Mistral-7B-v0.1): 2 x 131,072,000 + 32 x (2 x 4096^2 + 2 x 4096 x 1024
        // + 3 x 4096 x 14336 + 2 x 4096) + 4096
        TransformerShape shape = TransformerShape.fromConfig(config("mistral-7b-v0.1.json"));
        assertEquals(7_241_732_096L, shape.parameterCount());
        assertEquals(4096, shape.slidingWindowTokens());
    }

    @Test
    void qwen2HalfBillionHasItsPublishedParameterCountWithTiedEmbeddingsAndQkvBiases() throws IOException {
        // 494,032,768 (Qwen2-0.5B): embed 151,936 x 896 = 136,134,656, tied
        // + 24 x (q 896x896+896, k and v 896x128+128, o 896x896, MLP 3 x 896 x 4864, 2 x 896) + 896
        TransformerShape shape = TransformerShape.fromConfig(config("qwen2-0.5b.json"));
        assertEquals(494_032_768L, shape.parameterCount());
        assertEquals(0, shape.slidingWindowTokens(), "use_sliding_window is false");
    }

    @Test
    void gemma2BHasItsPublishedParameterCountWithExplicitHeadDim() throws IOException {
        // 2,506,172,416 (google/gemma-2b, 2.51B): embed 256,000 x 2048, tied by Gemma's default
        // + 18 x (q 2048 x 8x256, k and v 2048 x 256, o 8x256 x 2048, MLP 3 x 2048 x 16384, 2 x 2048) + 2048
        assertEquals(2_506_172_416L, TransformerShape.fromConfig(config("gemma-2b.json")).parameterCount());
    }

    @Test
    void decodeStepIsTwicePerMultipliedParameterPlusAttention() throws IOException {
        // Every Llama-2 parameter but the embedding table and the RMSNorm weights is a matmul weight
        // that one decoded token is multiplied by once; attention adds 4 x L x q x keys.
        TransformerShape shape = TransformerShape.fromConfig(config("llama-2-7b.json"));
        long multiplied = 6_738_415_616L - 32_000L * 4096 - (2 * 32 + 1) * 4096L;
        for (long keys : new long[] {1, 100, 4096}) {
            assertEquals(2 * multiplied + 4L * 32 * 4096 * keys, shape.decodeStepFlops(keys));
        }
        // and a prefill over n tokens is n such tokens' matmuls, attention over n keys each, one LM head
        long n = 512;
        long lmHead = 2L * 4096 * 32_000;
        assertEquals(n * (2 * multiplied - lmHead) + lmHead + 4L * 32 * 4096 * n * n, shape.prefillFlops(n));
    }

    @Test
    void llamaBiasesCountWhenConfigTurnsThemOn() {
        Map<String, Object> config = tinyLlama();
        config.put("attention_bias", true);
        config.put("mlp_bias", true);
        // per layer: q, k, v, o biases 8 + 4 + 4 + 8 = 24; gate, up, down 12 + 12 + 8 = 32 -> 2 x 56 more
        TransformerShape shape = TransformerShape.fromConfig(config);
        assertEquals(1160 + 112, shape.parameterCount());
        assertEquals(6496, shape.prefillFlops(3), "bias adds are not counted");
    }

    @Test
    void tiedEmbeddingsDropTheHeadParametersButNotItsFlops() {
        Map<String, Object> config = tinyLlama();
        config.put("tie_word_embeddings", true);
        TransformerShape shape = TransformerShape.fromConfig(config);
        assertEquals(1160 - 80, shape.parameterCount());
        assertEquals(6496, shape.prefillFlops(3));
    }

    @Test
    void unsupportedModelTypeIsNamed() {
        Map<String, Object> config = tinyLlama();
        config.put("model_type", "mamba");
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> TransformerShape.fromConfig(config));
        assertEquals("model_type", e.key());
        assertTrue(e.getMessage().contains("'mamba'") && e.getMessage().contains("gpt2, llama"), e.getMessage());
    }

    @Test
    void missingKeyIsNamed() throws IOException {
        Map<String, Object> config = config("gpt2.json");
        config.remove("n_embd");
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> TransformerShape.fromConfig(config));
        assertEquals("n_embd", e.key());
        assertTrue(e.getMessage().contains("missing key 'n_embd'"), e.getMessage());

        Map<String, Object> noType = tinyLlama();
        noType.remove("model_type");
        assertEquals("model_type",
                assertThrows(ModelConfigException.class, () -> TransformerShape.fromConfig(noType)).key());
    }

    @Test
    void invalidValuesAreNamedWithWhatWasFound() {
        Map<String, Object> fractional = tinyLlama();
        fractional.put("hidden_size", 8.5);
        ModelConfigException e = assertThrows(ModelConfigException.class,
                () -> TransformerShape.fromConfig(fractional));
        assertTrue(e.getMessage().contains("hidden_size must be a positive whole number, found 8.5"), e.getMessage());

        Map<String, Object> badGroups = tinyLlama();
        badGroups.put("num_key_value_heads", 3);
        assertEquals("num_key_value_heads",
                assertThrows(ModelConfigException.class, () -> TransformerShape.fromConfig(badGroups)).key());

        Map<String, Object> badFlag = tinyLlama();
        badFlag.put("tie_word_embeddings", "yes");
        assertEquals("tie_word_embeddings",
                assertThrows(ModelConfigException.class, () -> TransformerShape.fromConfig(badFlag)).key());

        Map<String, Object> zeroLayers = tinyLlama();
        zeroLayers.put("num_hidden_layers", 0);
        assertEquals("num_hidden_layers",
                assertThrows(ModelConfigException.class, () -> TransformerShape.fromConfig(zeroLayers)).key());
    }

    @Test
    void decodeStepNeedsAtLeastItsOwnKey() {
        TransformerShape shape = TransformerShape.fromConfig(tinyLlama());
        assertThrows(IllegalArgumentException.class, () -> shape.decodeStepFlops(0));
    }
}
