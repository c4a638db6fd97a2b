package lem.backend.djl.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import lem.backend.djl.DjlBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The decoder against a float64 reference of the same weights, read from a safetensors folder: the
 * NDArray decoder (one DJL call per operation) and the TorchScript step (one call per pass), each
 * test on both.
 */
class DecoderTest {

    private static NDManager manager;

    @TempDir
    Path folder;

    @BeforeAll
    static void engine() {
        new DjlBackend(DjlBackend.defaultCacheFolder());
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterAll
    static void release() {
        manager.close();
    }

    static Stream<Map<String, Object>> configs() {
        Map<String, Object> llamaWithBiases = TinyCheckpoint.llamaConfig("llama");
        llamaWithBiases.put("attention_bias", true);
        return Stream.of(TinyCheckpoint.llamaConfig("llama"), TinyCheckpoint.llamaConfig("qwen2"),
                TinyCheckpoint.llamaConfig("mistral"), llamaWithBiases, TinyCheckpoint.gpt2Config());
    }

    /** Every config with each decoder: {@code scripted} false is the NDArray decoder. */
    static Stream<Arguments> cases() {
        return configs().flatMap(c -> Stream.of(Arguments.of(c, false), Arguments.of(c, true)));
    }

    private Forward load(TinyCheckpoint checkpoint, boolean scripted) throws Exception {
        return load(checkpoint, scripted, DataType.FLOAT32);
    }

    /** The decoder of the checkpoint computing in {@code dtype} (the scripted step casts float32 weights itself). */
    private Forward load(TinyCheckpoint checkpoint, boolean scripted, DataType dtype) throws Exception {
        checkpoint.write(folder);
        TransformerConfig config = TransformerConfig.of(checkpoint.config, "test");
        ModelWeights weights = ModelWeights.fromSafetensors(config, folder, manager, DataType.FLOAT32);
        return scripted ? new ScriptedDecoder(config, weights, manager, dtype) : new Decoder(config, weights, dtype);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void prefillAndCachedDecodeMatchAFloat64ReferenceOfTheSameWeights(Map<String, Object> config, boolean scripted)
            throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.random(config, 11);
        Forward decoder = load(checkpoint, scripted);
        ReferenceForward reference = new ReferenceForward(decoder.config(), checkpoint.tensors);
        int[] tokens = {5, 17, 3, 60, 42, 8, 21, 33};
        double[][] expected = reference.logits(tokens);
        int prompt = 5;
        try (KvCache cache = new KvCache(decoder.config().layers())) {
            float[] prefill = run(decoder, new int[][] {Arrays.copyOf(tokens, prompt)}, cache, new OperationCount());
            assertClose(expected[prompt - 1], prefill, 0, "prefill");
            // decode one token at a time from the cache: each must equal the full recompute at that position
            for (int t = prompt; t < tokens.length; t++) {
                float[] step = decodeStep(decoder, new int[] {tokens[t]}, new int[] {t}, cache, new OperationCount());
                assertClose(expected[t], step, 0, "decode position " + t);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void aLeftPaddedBatchGivesEachRowItsUnbatchedLogits(Map<String, Object> config, boolean scripted)
            throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.random(config, 12);
        Forward decoder = load(checkpoint, scripted);
        ReferenceForward reference = new ReferenceForward(decoder.config(), checkpoint.tensors);
        int[] longRow = {9, 4, 33, 12, 50, 7};
        int[] shortRow = {40, 2, 19};
        try (KvCache cache = new KvCache(decoder.config().layers())) {
            float[] logits = run(decoder, new int[][] {longRow, shortRow}, cache, new OperationCount());
            int v = decoder.config().vocabSize();
            assertClose(reference.logits(longRow)[longRow.length - 1], Arrays.copyOfRange(logits, 0, v), 0, "long");
            assertClose(reference.logits(shortRow)[shortRow.length - 1], Arrays.copyOfRange(logits, v, 2 * v), 0,
                    "short (padded)");
            float[] next = decodeStep(decoder, new int[] {1, 61}, new int[] {longRow.length, shortRow.length}, cache,
                    new OperationCount());
            int[] longNext = Arrays.copyOf(longRow, longRow.length + 1);
            longNext[longRow.length] = 1;
            int[] shortNext = Arrays.copyOf(shortRow, shortRow.length + 1);
            shortNext[shortRow.length] = 61;
            assertClose(reference.logits(longNext)[longRow.length], Arrays.copyOfRange(next, 0, v), 0, "long step");
            assertClose(reference.logits(shortNext)[shortRow.length], Arrays.copyOfRange(next, v, 2 * v), 0,
                    "short step");
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void aCacheThatOutgrowsItsCapacityKeepsEveryPositionAndMatchesTheReference(Map<String, Object> config,
            boolean scripted) throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.random(config, 14);
        Forward decoder = load(checkpoint, scripted);
        ReferenceForward reference = new ReferenceForward(decoder.config(), checkpoint.tensors);
        int[] tokens = {5, 17, 3, 60, 42, 8, 21, 33, 9, 1, 30, 44};
        double[][] expected = reference.logits(tokens);
        // room for 2 positions: the 5-token prefill takes 5, the decode steps grow it twice (10, 20)
        try (KvCache cache = new KvCache(decoder.config().layers(), 2)) {
            float[] prefill = run(decoder, new int[][] {Arrays.copyOf(tokens, 5)}, cache, new OperationCount());
            assertClose(expected[4], prefill, 0, "prefill");
            assertEquals(5, cache.capacity());
            for (int t = 5; t < tokens.length; t++) {
                float[] step = decodeStep(decoder, new int[] {tokens[t]}, new int[] {t}, cache, new OperationCount());
                assertClose(expected[t], step, 0, "decode position " + t + " at capacity " + cache.capacity());
            }
            assertEquals(tokens.length, cache.length());
            assertEquals(20, cache.capacity());
        }
    }

    @Test
    void decodeStepsWriteTheCacheInPlaceAndLeaveEarlierPositionsAlone() throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.random(TinyCheckpoint.llamaConfig("llama"), 15);
        Forward decoder = load(checkpoint, false);
        try (KvCache cache = new KvCache(decoder.config().layers(), 16)) {
            run(decoder, new int[][] {{4, 9, 2, 7}, {3, 3}}, cache, new OperationCount());
            NDArray keys = cache.keys(1);
            NDArray values = cache.values(1);
            // [2 rows, 2 KV heads, 16 positions, 8]: the first 4 positions are written
            float[] afterPrefill = cache.read(1, 4)[0].toFloatArray();
            for (int step = 0; step < 5; step++) {
                decodeStep(decoder, new int[] {step + 10, step + 20}, new int[] {4 + step, 2 + step}, cache,
                        new OperationCount());
                assertTrue(keys == cache.keys(1) && values == cache.values(1), "step " + step + " reallocated");
            }
            assertEquals(16, cache.capacity());
            assertEquals(9, cache.length());
            assertArrayEquals(afterPrefill, cache.read(1, 9)[0].get(new NDIndex(":, :, :4")).toFloatArray(), 0f);
            // positions past the length are still the zeros they were allocated with
            float[] unwritten = keys.get(new NDIndex(":, :, 9:")).toFloatArray();
            assertArrayEquals(new float[unwritten.length], unwritten, 0f);
            // position 8 (the last decode step) is written for both rows
            float[] last = keys.get(new NDIndex(":, :, 8")).abs().sum().toFloatArray();
            assertTrue(last[0] > 0, "the last step's keys are in the cache");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void countedFlopsEqualTheFormulaDerivedByHand(boolean scripted) throws Exception {
        // llama config: hidden 32, 2 layers, 4 heads of 8, 2 KV heads, intermediate 48, vocab 64
        Forward decoder = load(TinyCheckpoint.random(TinyCheckpoint.llamaConfig("llama"), 13), scripted);
        int prompt = 6;
        // per token and layer: q 32x32, k 32x16, v 32x16, o 32x32, gate/up/down 3 x 32x48 multiply-adds
        long linearPerToken = 2L * (32 * 32 + 32 * 16 + 32 * 16 + 32 * 32 + 3 * 32 * 48);
        long lmHead = 2L * 32 * 64;
        // attention per layer over S keys for T queries: scores and scores x V, 4 heads of 8
        long prefillExpected = 2 * (prompt * linearPerToken + 2 * (2L * 4 * prompt * prompt * 8)) + lmHead;
        OperationCount prefill = new OperationCount();
        OperationCount decode = new OperationCount();
        int[] tokens = {1, 2, 3, 4, 5, 6};
        try (KvCache cache = new KvCache(2)) {
            run(decoder, new int[][] {tokens}, cache, prefill);
            assertEquals(prefillExpected, prefill.totalFlops());
            long decodeExpected = 0;
            for (int s = 1; s <= 3; s++) {
                int keys = prompt + s;
                decodeExpected += 2 * (linearPerToken + 2 * (2L * 4 * keys * 8)) + lmHead;
                decodeStep(decoder, new int[] {7}, new int[] {prompt + s - 1}, cache, decode);
            }
            assertEquals(decodeExpected, decode.totalFlops());
        }
        // a padded batch counts the padding it computes: rows of 6 and 3 tokens run as 2 x 6
        OperationCount padded = new OperationCount();
        try (KvCache cache = new KvCache(2)) {
            run(decoder, new int[][] {tokens, {1, 2, 3}}, cache, padded);
        }
        assertEquals(2 * prefillExpected, padded.totalFlops());
    }

    @ParameterizedTest
    @MethodSource("configs")
    void theScriptedStepCountsTheFlopsOfTheOperationsTheNdarrayDecoderRuns(Map<String, Object> config)
            throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.random(config, 16);
        long[][] counts = new long[2][];
        for (int kind = 0; kind < 2; kind++) {
            Forward decoder = load(checkpoint, kind == 1);
            OperationCount prefill = new OperationCount();
            OperationCount decode = new OperationCount();
            try (KvCache cache = new KvCache(decoder.config().layers())) {
                run(decoder, new int[][] {{3, 9, 27, 1, 5}, {8, 2}}, cache, prefill);
                decodeStep(decoder, new int[] {4, 6}, new int[] {5, 2}, cache, decode);
                decodeStep(decoder, new int[] {7, 1}, new int[] {6, 3}, cache, decode);
            } finally {
                decoder.close();
            }
            counts[kind] = new long[] {prefill.linearFlops(), prefill.attentionFlops(), decode.linearFlops(),
                decode.attentionFlops()};
        }
        assertTrue(counts[0][0] > 0 && counts[0][3] > 0);
        assertArrayEquals(counts[0], counts[1], "prefill linear, attention; decode linear, attention");
    }

    @ParameterizedTest
    @MethodSource("configs")
    void theScriptedStepComputesInBfloat16WithinItsToleranceOfTheReference(Map<String, Object> config)
            throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.random(config, 17);
        Forward decoder = load(checkpoint, true, DataType.BFLOAT16);
        ReferenceForward reference = new ReferenceForward(decoder.config(), checkpoint.tensors);
        int[] tokens = {5, 17, 3, 60, 42, 8, 21};
        double[][] expected = reference.logits(tokens);
        // bfloat16 keeps 8 significant bits (a relative step of 2^-8 = 0.4%), rounded at every operation
        try (KvCache cache = new KvCache(decoder.config().layers())) {
            float[] prefill = run(decoder, new int[][] {Arrays.copyOf(tokens, 4)}, cache, new OperationCount());
            assertClose(expected[3], prefill, 0, 3e-2, "bfloat16 prefill");
            for (int t = 4; t < tokens.length; t++) {
                float[] step = decodeStep(decoder, new int[] {tokens[t]}, new int[] {t}, cache, new OperationCount());
                assertClose(expected[t], step, 0, 3e-2, "bfloat16 decode position " + t);
            }
        } finally {
            decoder.close();
        }
    }

    /** A left-padded prefill, as the generator builds it; returns {@code [rows x vocab]} logits. */
    static float[] run(Forward decoder, int[][] prompts, KvCache cache, OperationCount count) {
        int longest = Arrays.stream(prompts).mapToInt(p -> p.length).max().orElseThrow();
        long[][] ids = new long[prompts.length][longest];
        int[][] positions = new int[prompts.length][longest];
        boolean[][] valid = new boolean[prompts.length][longest];
        for (int b = 0; b < prompts.length; b++) {
            int pad = longest - prompts[b].length;
            for (int t = pad; t < longest; t++) {
                ids[b][t] = prompts[b][t - pad];
                positions[b][t] = t - pad;
                valid[b][t] = true;
            }
        }
        paddingOf = new boolean[prompts.length][];
        for (int b = 0; b < prompts.length; b++) {
            paddingOf[b] = valid[b];
        }
        return toHost(decoder.forward(manager, ids, positions, valid, cache, count));
    }

    /** Key validity of the rows of the last prefill, extended by each decode step. */
    private static boolean[][] paddingOf;

    static float[] decodeStep(Forward decoder, int[] tokens, int[] positions, KvCache cache, OperationCount count) {
        long[][] ids = new long[tokens.length][1];
        int[][] pos = new int[tokens.length][1];
        boolean[][] valid = new boolean[tokens.length][];
        for (int b = 0; b < tokens.length; b++) {
            ids[b][0] = tokens[b];
            pos[b][0] = positions[b];
            valid[b] = Arrays.copyOf(paddingOf[b], paddingOf[b].length + 1);
            valid[b][paddingOf[b].length] = true;
            paddingOf[b] = valid[b];
        }
        return toHost(decoder.forward(manager, ids, pos, valid, cache, count));
    }

    private static float[] toHost(NDArray logits) {
        try {
            return logits.toFloatArray();
        } finally {
            logits.close();
        }
    }

    /** Within float32 tolerance: 1e-4 of the logits' scale. */
    private static void assertClose(double[] expected, float[] actual, int offset, String what) {
        assertClose(expected, actual, offset, 1e-4, what);
    }

    private static void assertClose(double[] expected, float[] actual, int offset, double tolerance, String what) {
        double scale = 1;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[offset + i]));
        }
        assertTrue(worst <= tolerance * scale, what + ": largest difference " + worst + " at scale " + scale);
    }

    // the fused tensors the decoder runs on, read back element by element against the checkpoint's

    @Test
    void llamaQkvAndGateUpAreTheCheckpointRowsStackedWithTheQueryRowsScaled() throws Exception {
        Map<String, Object> raw = TinyCheckpoint.llamaConfig("qwen2");
        raw.put("attention_bias", true);
        TinyCheckpoint checkpoint = TinyCheckpoint.random(raw, 21);
        ModelWeights weights = weights(checkpoint);
        try {
            // hidden 32, 4 heads of 8 (q: 32 rows), 2 KV heads (k, v: 16 rows each), intermediate 48
            double scale = 1 / Math.sqrt(8);
            for (int layer = 0; layer < 2; layer++) {
                String p = "model.layers." + layer + ".";
                for (String part : new String[] {"weight", "bias"}) {
                    float[] fused = weights.get(FusedLayout.qkv(layer) + "." + part).toFloatArray();
                    float[] expected = concat(scaled(checkpoint.tensors.get(p + "self_attn.q_proj." + part), scale),
                            checkpoint.tensors.get(p + "self_attn.k_proj." + part),
                            checkpoint.tensors.get(p + "self_attn.v_proj." + part));
                    assertArrayEquals(expected, fused, 1e-7f, "layer " + layer + " qkv " + part);
                    assertNull(weights.optional(p + "self_attn.q_proj." + part), "the separate q is freed");
                }
                assertArrayEquals(new long[] {32 + 16 + 16, 32},
                        weights.get(FusedLayout.qkv(layer) + ".weight").getShape().getShape());
                float[] gateUp = weights.get(FusedLayout.gateUp(layer) + ".weight").toFloatArray();
                assertArrayEquals(concat(checkpoint.tensors.get(p + "mlp.gate_proj.weight"),
                        checkpoint.tensors.get(p + "mlp.up_proj.weight")), gateUp, 0f, "layer " + layer + " gate_up");
                assertArrayEquals(new long[] {2 * 48, 32},
                        weights.get(FusedLayout.gateUp(layer) + ".weight").getShape().getShape());
                float[] norm = checkpoint.tensors.get(p + "input_layernorm.weight");
                assertArrayEquals(concat(norm, norm),
                        weights.get(FusedLayout.mirrored(p + "input_layernorm.weight")).toFloatArray(), 0f);
                assertNull(weights.optional(p + "mlp.up_proj.weight"), "the separate up is freed");
            }
            assertArrayEquals(new float[64], weights.get(FusedLayout.RMS_ZERO_SHIFT).toFloatArray(), 0f);
            // the parameter count is the checkpoint's, not the fused layout's (mirrored norms count once)
            assertEquals(WeightLayout.parameterCount(TransformerConfig.of(raw, "test")), weights.parameterCount());
        } finally {
            weights.close();
        }
    }

    @Test
    void gpt2ScalesOnlyTheQueryRowsOfItsFusedAttentionProjection() throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.random(TinyCheckpoint.gpt2Config(), 22);
        ModelWeights weights = weights(checkpoint);
        try {
            double scale = 1 / Math.sqrt(8);
            // Conv1D [in 32, out 96] in the checkpoint; the decoder's linear weight is [out 96, in 32]
            float[] conv = checkpoint.tensors.get("h.1.attn.c_attn.weight");
            float[] linear = weights.get("h.1.attn.c_attn.weight").toFloatArray();
            for (int out = 0; out < 96; out++) {
                for (int in = 0; in < 32; in++) {
                    double expected = conv[in * 96 + out] * (out < 32 ? scale : 1);
                    assertEquals(expected, linear[out * 32 + in], 1e-7, "row " + out + " column " + in);
                }
            }
            float[] bias = checkpoint.tensors.get("h.1.attn.c_attn.bias");
            float[] fusedBias = weights.get("h.1.attn.c_attn.bias").toFloatArray();
            assertEquals(bias[0] * scale, fusedBias[0], 1e-7);
            assertEquals(bias[32], fusedBias[32], 0);
        } finally {
            weights.close();
        }
    }

    /** The checkpoint written to the test's folder and read back as the decoder's weights. */
    private ModelWeights weights(TinyCheckpoint checkpoint) throws Exception {
        checkpoint.write(folder);
        return ModelWeights.fromSafetensors(TransformerConfig.of(checkpoint.config, "test"), folder, manager,
                DataType.FLOAT32);
    }

    private static float[] scaled(float[] values, double factor) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) (values[i] * factor);
        }
        return out;
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
