package lem.backend.djl.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
import org.junit.jupiter.params.provider.MethodSource;

/** The NDArray decoder against a float64 reference of the same weights, read from a safetensors folder. */
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

    private Decoder load(TinyCheckpoint checkpoint) throws Exception {
        checkpoint.write(folder);
        TransformerConfig config = TransformerConfig.of(checkpoint.config, "test");
        ModelWeights weights = ModelWeights.fromSafetensors(config, folder, manager, DataType.FLOAT32);
        return new Decoder(config, weights, DataType.FLOAT32);
    }

    @ParameterizedTest
    @MethodSource("configs")
    void prefillAndCachedDecodeMatchAFloat64ReferenceOfTheSameWeights(Map<String, Object> config) throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.random(config, 11);
        Decoder decoder = load(checkpoint);
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
    @MethodSource("configs")
    void aLeftPaddedBatchGivesEachRowItsUnbatchedLogits(Map<String, Object> config) throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.random(config, 12);
        Decoder decoder = load(checkpoint);
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

    @Test
    void countedFlopsEqualTheFormulaDerivedByHand() throws Exception {
        // llama config: hidden 32, 2 layers, 4 heads of 8, 2 KV heads, intermediate 48, vocab 64
        Decoder decoder = load(TinyCheckpoint.random(TinyCheckpoint.llamaConfig("llama"), 13));
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

    /** A left-padded prefill, as the generator builds it; returns {@code [rows x vocab]} logits. */
    static float[] run(Decoder decoder, int[][] prompts, KvCache cache, OperationCount count) {
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

    static float[] decodeStep(Decoder decoder, int[] tokens, int[] positions, KvCache cache, OperationCount count) {
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
        double scale = 1;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[offset + i]));
        }
        assertTrue(worst <= 1e-4 * scale, what + ": largest difference " + worst + " at scale " + scale);
    }
}
