package lem.backend.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lem.api.backend.BackendException;
import lem.api.backend.BackendSettings;
import lem.api.backend.BatchingMode;
import lem.api.backend.DecodeSettings;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.Prompt;
import lem.api.backend.LoadedModel;
import lem.api.backend.RequestResult;
import lem.api.model.ModelDescription;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.backend.djl.transformer.TensorSpec;
import lem.backend.djl.transformer.TinyCheckpoint;
import lem.backend.djl.transformer.TransformerConfig;
import lem.backend.djl.transformer.WeightLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backend as the runtime uses it: open, generate, describe, and refuse what it cannot do. */
class BackendTest {

    private final DjlBackend backend = Fixtures.backend();

    @TempDir
    Path folder;

    @Test
    void aLocalFolderWithSafetensorsAndTokenizerLoadsDescribesItselfAndGeneratesFromText() throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.random(TinyCheckpoint.llamaConfig("llama"), 5);
        checkpoint.write(folder);
        TinyCheckpoint.writeWordLevelTokenizer(folder, 64);
        try (DjlModel model = (DjlModel) backend.open(Fixtures.local(folder), Fixtures.batches(2))) {
            ModelDescription description = model.description();
            assertEquals("llama", description.architecture());
            long expectedParameters = checkpoint.tensors.values().stream().mapToLong(v -> v.length).sum();
            assertEquals(expectedParameters, description.parameterCount());
            assertEquals(64, description.config().get("vocab_size"));
            assertEquals(Precision.FLOAT32, description.weightPrecision());
            List<GenerationRequest> requests = List.of(
                    new GenerationRequest("text", Prompt.ofText("w5 w9 w12 w3"), 0),
                    new GenerationRequest("ids", Prompt.ofTokens(List.of(5, 9, 12, 3)), 0));
            Fixtures.Recorder recorder = new Fixtures.Recorder();
            GenerationResult result = model.generate(requests, Fixtures.greedy(6), recorder);
            assertEquals(4, result.requests().get(0).inputTokens(), "the tokenizer gave 4 ids for 4 words");
            assertEquals(6, result.requests().get(0).outputTokens());
            // the text prompt encodes to the same ids, so both requests generate the same tokens
            assertArrayEquals(model.outputTokens("ids"), model.outputTokens("text"));
        }
    }

    @Test
    void aShardedCheckpointGeneratesWhatTheSingleFileGenerates() throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.random(TinyCheckpoint.llamaConfig("mistral"), 10);
        checkpoint.write(folder.resolve("single"));
        checkpoint.writeSharded(folder.resolve("sharded"));
        List<GenerationRequest> requests = Fixtures.prompts(2, 7, 64, 8);
        int[][] single;
        try (DjlModel model = (DjlModel) backend.open(Fixtures.local(folder.resolve("single")), Fixtures.batches(2))) {
            single = generate(model, requests, Fixtures.greedy(5));
        }
        try (DjlModel model = (DjlModel) backend.open(Fixtures.local(folder.resolve("sharded")), Fixtures.batches(2))) {
            assertArrayEqualsRows(single, generate(model, requests, Fixtures.greedy(5)));
        }
    }

    @Test
    void gpt2TiedCheckpointCountsTheSharedEmbeddingOnce() throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.random(TinyCheckpoint.gpt2Config(), 6);
        checkpoint.write(folder);
        try (DjlModel model = (DjlModel) backend.open(Fixtures.local(folder), Fixtures.batches(1))) {
            // 64x32 wte + 64x32 wpe + 2 x (2x32 + 32x96 + 96 + 32x32 + 32 + 2x32 + 32x128 + 128 + 128x32 + 32) + 2x32
            long byHand = 64 * 32 + 64 * 32 + 2L * (64 + 3072 + 96 + 1024 + 32 + 64 + 4096 + 128 + 4096 + 32) + 64;
            assertEquals(byHand, model.description().parameterCount());
            assertFalse(checkpoint.tensors.containsKey(WeightLayout.LM_HEAD));
            model.generate(Fixtures.prompts(1, 5, 64, 2), Fixtures.greedy(3), new Fixtures.Recorder());
        }
    }

    @Test
    void aMissingTensorIsNamedWithItsExpectedShape() throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.random(TinyCheckpoint.llamaConfig("qwen2"), 7);
        List<String> names = new ArrayList<>(checkpoint.tensors.keySet());
        names.remove("model.layers.1.self_attn.k_proj.bias");
        checkpoint.write(folder, names, Map.of());
        BackendException e = assertThrows(BackendException.class, () -> backend.open(Fixtures.local(folder),
                Fixtures.batches(1)));
        assertTrue(e.getMessage().contains("model.layers.1.self_attn.k_proj.bias"), e.getMessage());
        assertTrue(e.getMessage().contains("missing") && e.getMessage().contains("[16]"), e.getMessage());
    }

    @Test
    void aTensorOfTheWrongShapeIsNamedWithBothShapes() throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.random(TinyCheckpoint.llamaConfig("llama"), 8);
        checkpoint.write(folder, new ArrayList<>(checkpoint.tensors.keySet()),
                Map.of("model.layers.0.mlp.up_proj.weight", new long[] {40, 32}));
        BackendException e = assertThrows(BackendException.class, () -> backend.open(Fixtures.local(folder),
                Fixtures.batches(1)));
        assertTrue(e.getMessage().contains("model.layers.0.mlp.up_proj.weight"), e.getMessage());
        assertTrue(e.getMessage().contains("[40, 32]") && e.getMessage().contains("[48, 32]"), e.getMessage());
    }

    @Test
    void greedyAndSeededSamplingRepeatThemselves() throws Exception {
        try (DjlModel model = (DjlModel) backend.open(Fixtures.synthetic("llama-tiny"), Fixtures.batches(4))) {
            List<GenerationRequest> requests = Fixtures.prompts(4, 16, 2048, 9);
            int[][] first = generate(model, requests, Fixtures.greedy(12));
            assertArrayEqualsRows(first, generate(model, requests, Fixtures.greedy(12)));
            DecodeSettings sampling = new DecodeSettings(1.0, 50, 0.9, 1.2, 123, 12, 12);
            int[][] sampled = generate(model, requests, sampling);
            assertArrayEqualsRows(sampled, generate(model, requests, sampling));
            int[][] otherSeed = generate(model, requests, new DecodeSettings(1.0, 50, 0.9, 1.2, 124, 12, 12));
            assertFalse(java.util.Arrays.deepEquals(sampled, otherSeed), "another seed samples other tokens");
        }
    }

    @Test
    void sortedBatchesWithPaddingGenerateWhatSingleRequestsGenerate() throws Exception {
        List<GenerationRequest> requests = new ArrayList<>();
        int[] lengths = {12, 5, 9, 3, 7};
        for (int r = 0; r < lengths.length; r++) {
            requests.add(Fixtures.prompts(1, lengths[r], 2048, 20 + r).get(0));
            requests.set(r, new GenerationRequest("r" + r, requests.get(r).prompt(), 0));
        }
        int[][] alone;
        try (DjlModel model = (DjlModel) backend.open(Fixtures.synthetic("gpt2-tiny"), Fixtures.batches(1))) {
            alone = generate(model, requests, Fixtures.greedy(8));
        }
        BackendSettings sorted = new BackendSettings("cpu", BatchingMode.SORTED_STATIC, 3, Map.of());
        try (DjlModel model = (DjlModel) backend.open(Fixtures.synthetic("gpt2-tiny"), sorted)) {
            assertArrayEqualsRows(alone, generate(model, requests, Fixtures.greedy(8)));
        }
    }

    @Test
    void endOfSequenceStopsOnlyAfterTheMinimum() throws Exception {
        Map<String, Object> config = TinyCheckpoint.llamaConfig("llama");
        Path file = folder.resolve("config.json");
        writeConfig(file, config);
        ModelSpec spec = new ModelSpec("synthetic", file.toString(), Precision.FLOAT32, "none", 3, Map.of());
        List<GenerationRequest> one = Fixtures.prompts(1, 6, 64, 4);
        int firstToken;
        try (DjlModel model = (DjlModel) backend.open(spec, Fixtures.batches(1))) {
            firstToken = generate(model, one, Fixtures.greedy(4))[0][0];
        }
        config.put("eos_token_id", firstToken);
        writeConfig(file, config);
        try (DjlModel model = (DjlModel) backend.open(spec, Fixtures.batches(1))) {
            Fixtures.Recorder recorder = new Fixtures.Recorder();
            RequestResult stopped = model.generate(one, new DecodeSettings(0, 0, 1, 1, 0, 0, 8), recorder)
                    .requests().get(0);
            assertEquals("stop", stopped.finishReason());
            assertEquals(1, stopped.outputTokens());
            RequestResult fixed = model.generate(one, Fixtures.greedy(8), recorder).requests().get(0);
            assertEquals("length", fixed.finishReason());
            assertEquals(8, fixed.outputTokens());
        }
    }

    @Test
    void aTokenBudgetClosesBatchesBeforeTheyExceedIt() throws Exception {
        // 5 requests of 8 prompt + 4 new tokens = 12 each; batch size 8 but a budget of 30 tokens:
        // batches of 2, 2 and 1, each starting when the previous one has finished
        try (LoadedModel model = Fixtures.backend().open(Fixtures.synthetic("llama-tiny"),
                new BackendSettings("cpu", BatchingMode.STATIC, 8, 30, Map.of()))) {
            Fixtures.Recorder recorder = new Fixtures.Recorder();
            model.generate(Fixtures.prompts(5, 8, 100, 3), Fixtures.greedy(4), recorder);

            Map<String, Long> start = new java.util.HashMap<>();
            for (RequestResult r : recorder.finished) {
                start.put(r.requestId(), r.startNanos());
            }
            assertEquals(start.get("r0"), start.get("r1"));
            assertEquals(start.get("r2"), start.get("r3"));
            assertEquals(3, new java.util.HashSet<>(start.values()).size(), "three batches: " + start);
            long endOfFirst = recorder.finished.stream().filter(r -> r.requestId().equals("r0")).findFirst().orElseThrow().endNanos();
            assertTrue(start.get("r2") >= endOfFirst, "the second batch starts after the first ends");
        }
    }

    @Test
    void arrivalOffsetsDelayTheStartOfARequest() throws Exception {
        try (DjlModel model = (DjlModel) backend.open(Fixtures.synthetic("llama-tiny"), Fixtures.batches(1))) {
            List<GenerationRequest> base = Fixtures.prompts(2, 8, 2048, 5);
            List<GenerationRequest> requests = List.of(base.get(0),
                    new GenerationRequest("late", base.get(1).prompt(), 300_000_000L));
            Fixtures.Recorder recorder = new Fixtures.Recorder();
            long callNanos = System.nanoTime();
            GenerationResult result = model.generate(requests, Fixtures.greedy(2), recorder);
            assertTrue(result.requests().get(1).startNanos() - callNanos >= 300_000_000L);
            assertTrue(result.requests().get(0).startNanos() - callNanos < 300_000_000L);
        }
    }

    @Test
    void anInterruptedCallFailsCleanlyAndTheModelStaysUsable() throws Exception {
        try (DjlModel model = (DjlModel) backend.open(Fixtures.synthetic("llama-tiny"), Fixtures.batches(2))) {
            Fixtures.Recorder recorder = new Fixtures.Recorder();
            Thread.currentThread().interrupt();
            BackendException e = assertThrows(BackendException.class,
                    () -> model.generate(Fixtures.prompts(2, 8, 2048, 6), Fixtures.greedy(4), recorder));
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
            assertEquals(2, recorder.finished.stream().filter(RequestResult::failed).count());
            Thread.interrupted();
            GenerationResult again = model.generate(Fixtures.prompts(2, 8, 2048, 6), Fixtures.greedy(4),
                    new Fixtures.Recorder());
            assertEquals(4, again.requests().get(1).outputTokens());
        }
    }

    @Test
    void whatTheBackendCannotDoIsRefusedWithTheAllowedValues() throws Exception {
        BackendException text = assertThrows(BackendException.class, () -> {
            try (var model = backend.open(Fixtures.synthetic("gpt2-tiny"), Fixtures.batches(1))) {
                model.generate(List.of(new GenerationRequest("t", Prompt.ofText("hello"), 0)), Fixtures.greedy(2),
                        new Fixtures.Recorder());
            }
        });
        assertTrue(text.getMessage().contains("no tokenizer"), text.getMessage());
        BackendException preset = assertThrows(BackendException.class,
                () -> backend.open(Fixtures.synthetic("llama-huge"), Fixtures.batches(1)));
        assertTrue(preset.getMessage().contains("llama-tiny"), preset.getMessage());
        BackendException batching = assertThrows(BackendException.class, () -> backend.open(
                Fixtures.synthetic("gpt2-tiny"), new BackendSettings("cpu", BatchingMode.DYNAMIC, 4, Map.of())));
        assertTrue(batching.getMessage().contains("SORTED_STATIC"), batching.getMessage());
        BackendException device = assertThrows(BackendException.class, () -> backend.open(
                Fixtures.synthetic("gpt2-tiny"), new BackendSettings("tpu", BatchingMode.STATIC, 1, Map.of())));
        assertTrue(device.getMessage().contains("cpu, cuda, cuda:N"), device.getMessage());
        BackendException option = assertThrows(BackendException.class, () -> backend.open(
                Fixtures.synthetic("gpt2-tiny"), new BackendSettings("cpu", BatchingMode.STATIC, 1,
                        Map.of("thread", 2))));
        assertTrue(option.getMessage().contains("'thread'") && option.getMessage().contains("threads"),
                option.getMessage());
        BackendException precision = assertThrows(BackendException.class, () -> backend.open(
                new ModelSpec("synthetic", "gpt2-tiny", Precision.INT8, "none", 1, Map.of()), Fixtures.batches(1)));
        assertTrue(precision.getMessage().contains("float32, float16"), precision.getMessage());
        BackendException tooLong = assertThrows(BackendException.class, () -> {
            try (var model = backend.open(Fixtures.synthetic("gpt2-tiny"), Fixtures.batches(1))) {
                model.generate(Fixtures.prompts(1, 500, 2048, 1), Fixtures.greedy(32), new Fixtures.Recorder());
            }
        });
        assertTrue(tooLong.getMessage().contains("512 positions"), tooLong.getMessage());
    }

    @Test
    void float16AndBfloat16ModelsGenerateAndBfloat16OnNdarraysIsRefusedBeforeItCanAbortTheJvm() throws Exception {
        ModelSpec half = new ModelSpec("synthetic", "qwen2-tiny", Precision.FLOAT16, "none", 1, Map.of());
        try (DjlModel model = (DjlModel) backend.open(half, Fixtures.batches(2))) {
            assertEquals(Precision.FLOAT16, model.description().computePrecision());
            GenerationResult result = model.generate(Fixtures.prompts(2, 8, 2048, 1), Fixtures.greedy(4),
                    new Fixtures.Recorder());
            assertEquals(4, result.requests().get(0).outputTokens());
        }
        ModelSpec brain = new ModelSpec("synthetic", "qwen2-tiny", Precision.BFLOAT16, "none", 1, Map.of());
        try (DjlModel model = (DjlModel) backend.open(brain, Fixtures.batches(2))) {
            assertEquals(Precision.BFLOAT16, model.description().computePrecision());
            GenerationResult result = model.generate(Fixtures.prompts(2, 8, 2048, 1), Fixtures.greedy(4),
                    new Fixtures.Recorder());
            assertEquals(List.of(4, 4), result.requests().stream().map(r -> r.outputTokens()).toList());
            assertTrue(result.notes().get("decoder").contains("cast to bfloat16"), result.notes().toString());
        }
        BackendSettings ndarrays = new BackendSettings("cpu", BatchingMode.STATIC, 1, Map.of("decoder", "ndarray"));
        BackendException e = assertThrows(BackendException.class, () -> backend.open(brain, ndarrays));
        assertTrue(e.getMessage().contains("needs djl option decoder: scripted"), e.getMessage());
    }

    @Test
    void theScriptedDecoderGeneratesTheNdarrayDecodersTokensAndCountsItsFlops() throws Exception {
        for (String preset : List.of("llama-tiny", "gpt2-tiny")) {
            List<GenerationRequest> requests = new ArrayList<>();
            int[] lengths = {12, 5, 9};
            for (int r = 0; r < lengths.length; r++) {
                requests.add(new GenerationRequest("r" + r, Fixtures.prompts(1, lengths[r], 2048, 40 + r).get(0)
                        .prompt(), 0));
            }
            int[][][] tokens = new int[2][][];
            long[][] flops = new long[2][];
            for (int kind = 0; kind < 2; kind++) {
                BackendSettings settings = new BackendSettings("cpu", BatchingMode.STATIC, 3,
                        Map.of("decoder", kind == 0 ? "ndarray" : "scripted"));
                try (DjlModel model = (DjlModel) backend.open(Fixtures.synthetic(preset), settings)) {
                    GenerationResult result = model.generate(requests, Fixtures.greedy(10), new Fixtures.Recorder());
                    assertTrue(result.notes().get("decoder").startsWith(kind == 0 ? "ndarray" : "scripted"));
                    assertTrue(result.notes().get("engine").startsWith("DJL "), result.notes().get("engine"));
                    tokens[kind] = new int[requests.size()][];
                    for (int r = 0; r < requests.size(); r++) {
                        tokens[kind][r] = model.outputTokens(requests.get(r).id());
                    }
                    flops[kind] = new long[] {result.operations().orElseThrow().prefillFlops(),
                        result.operations().orElseThrow().decodeFlops()};
                }
            }
            assertArrayEqualsRows(tokens[0], tokens[1]);
            assertArrayEquals(flops[0], flops[1], preset + " prefill and decode FLOPs");
        }
    }

    @Test
    void halfAndBfloat16CheckpointsLoadAsTheirFloat32Values() throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.random(TinyCheckpoint.llamaConfig("llama"), 9);
        List<GenerationRequest> requests = Fixtures.prompts(2, 6, 64, 3);
        for (String dtype : List.of("F32", "F16", "BF16")) {
            Path dir = folder.resolve(dtype);
            checkpoint.roundTo(dtype).write(dir, dtype);
            try (DjlModel model = (DjlModel) backend.open(Fixtures.local(dir), Fixtures.batches(2))) {
                assertEquals(dtype.equals("F16") ? Precision.FLOAT16
                        : dtype.equals("BF16") ? Precision.BFLOAT16 : Precision.FLOAT32,
                        model.description().weightPrecision());
                assertEquals(3, generate(model, requests, Fixtures.greedy(3))[0].length);
            }
        }
    }

    @Test
    void presetsHaveThePublishedGpt2SmallSize() throws Exception {
        TransformerConfig gpt2 = TransformerConfig.of(
                lem.backend.djl.transformer.ModelPresets.config("gpt2-small"), "gpt2-small");
        // GPT-2 small: 124,439,808 parameters with the LM head tied to wte (Hugging Face's count)
        assertEquals(124_439_808L, WeightLayout.parameterCount(gpt2));
        long matrices = WeightLayout.tensors(gpt2).stream().filter(t -> t.init() == TensorSpec.Init.NORMAL).count();
        assertEquals(2 + 12 * 4, matrices);
        assertNotNull(backend.info().capabilities());
    }

    private static int[][] generate(DjlModel model, List<GenerationRequest> requests, DecodeSettings decode)
            throws BackendException {
        model.generate(requests, decode, new Fixtures.Recorder());
        int[][] out = new int[requests.size()][];
        for (int r = 0; r < out.length; r++) {
            out[r] = model.outputTokens(requests.get(r).id());
        }
        return out;
    }

    private static void assertArrayEqualsRows(int[][] expected, int[][] actual) {
        for (int r = 0; r < expected.length; r++) {
            assertArrayEquals(expected[r], actual[r], "request " + r);
        }
    }

    private static void writeConfig(Path file, Map<String, Object> config) throws Exception {
        StringBuilder json = new StringBuilder("{");
        for (Map.Entry<String, Object> e : config.entrySet()) {
            json.append(json.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":");
            json.append(e.getValue() instanceof String ? "\"" + e.getValue() + "\"" : String.valueOf(e.getValue()));
        }
        Files.writeString(file, json.append('}').toString());
    }
}
