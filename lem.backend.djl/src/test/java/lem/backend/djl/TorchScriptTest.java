package lem.backend.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import lem.api.backend.BackendException;
import lem.api.backend.BackendSettings;
import lem.api.backend.BatchingMode;
import lem.api.backend.ExecutedOperations;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.Prompt;
import lem.api.backend.ValidationReport;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.backend.djl.transformer.KvCache;
import lem.backend.djl.transformer.TinyCheckpoint;
import lem.backend.djl.transformer.TransformerConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TorchScript decoder written by hand (see {@link TorchScriptArchive}), loaded by libtorch through
 * DJL, against the built-in decoder with the same weights.
 */
class TorchScriptTest {

    @TempDir
    Path folder;

    private final DjlBackend backend = Fixtures.backend();
    private TinyCheckpoint checkpoint;
    private TransformerConfig config;
    private Path huggingFace;
    private Path script;

    @BeforeEach
    void write() throws Exception {
        Map<String, Object> map = TinyCheckpoint.llamaConfig("llama");
        checkpoint = TinyCheckpoint.random(map, 31);
        config = TransformerConfig.of(map, "test");
        huggingFace = folder.resolve("hf");
        checkpoint.write(huggingFace);
        TinyCheckpoint.writeWordLevelTokenizer(huggingFace, 64);
        Path scripted = Files.createDirectories(folder.resolve("ts"));
        Files.copy(huggingFace.resolve("config.json"), scripted.resolve("config.json"));
        Files.copy(huggingFace.resolve("tokenizer.json"), scripted.resolve("tokenizer.json"));
        script = scripted.resolve("decoder.pt");
        TorchScriptArchive.writeLlama(script, checkpoint, config, "input_ids", "attention_mask");
    }

    /** Prompts of three lengths and one text, in batches of 2: rows are left-padded. */
    private static List<GenerationRequest> requests() {
        return List.of(new GenerationRequest("a", Prompt.ofTokens(List.of(5, 9, 12, 3, 40, 41, 7)), 0),
                new GenerationRequest("b", Prompt.ofTokens(List.of(60, 2)), 0),
                new GenerationRequest("c", Prompt.ofText("w11 w22 w33 w44"), 0),
                new GenerationRequest("d", Prompt.ofTokens(List.of(1, 1, 8, 17, 30)), 0));
    }

    private static BackendSettings batches(Map<String, Object> options) {
        return new BackendSettings("cpu", BatchingMode.STATIC, 2, options);
    }

    private Map<String, int[]> generate(ModelSpec spec, BackendSettings settings) throws BackendException {
        return run(spec, settings, requests()).tokens();
    }

    /** The tokens a greedy generation of 10 new tokens gave each request, the FLOPs it counted and its notes. */
    private record Run(Map<String, int[]> tokens, ExecutedOperations operations, Map<String, String> notes) {
    }

    private Run run(ModelSpec spec, BackendSettings settings, List<GenerationRequest> requests)
            throws BackendException {
        try (DjlModel model = (DjlModel) backend.open(spec, settings)) {
            GenerationResult result = model.generate(requests, Fixtures.greedy(10), new Fixtures.Recorder());
            assertTrue(result.operations().orElseThrow().totalFlops() > 0);
            Map<String, int[]> tokens = new java.util.TreeMap<>();
            for (GenerationRequest r : requests) {
                tokens.put(r.id(), model.outputTokens(r.id()));
            }
            return new Run(tokens, result.operations().orElseThrow(), result.notes());
        }
    }

    private static void assertSameTokens(Map<String, int[]> expected, Map<String, int[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((id, tokens) -> assertArrayEquals(tokens, actual.get(id), "request " + id));
    }

    @Test
    void aTorchScriptDecoderGeneratesWhatTheBuiltInOneDoesWithTheSameWeights() throws Exception {
        Map<String, int[]> builtIn = generate(Fixtures.local(huggingFace), batches(Map.of()));
        Map<String, int[]> scripted = generate(Fixtures.local(script), batches(Map.of()));
        assertSameTokens(builtIn, scripted);
        List<int[]> distinct = new ArrayList<>(builtIn.values());
        assertTrue(distinct.stream().map(java.util.Arrays::toString).distinct().count() > 1,
                "the prompts lead to different outputs, so agreement is not by chance");

        try (DjlModel builtInModel = (DjlModel) backend.open(Fixtures.local(huggingFace), batches(Map.of()));
                DjlModel model = (DjlModel) backend.open(Fixtures.local(script), batches(Map.of()))) {
            assertEquals("llama", model.description().architecture());
            long parameters = checkpoint.tensors.values().stream().mapToLong(v -> v.length).sum();
            assertEquals(parameters, model.description().parameterCount(), "parameters from config.json");
            assertEquals(64, model.description().config().get("vocab_size"));
            int[] sequence = {3, 17, 5, 40, 9, 9, 22, 61};
            double[] expected = builtInModel.logProbabilities(List.of(sequence)).get(0);
            double[] actual = model.logProbabilities(List.of(sequence)).get(0);
            for (int t = 0; t < expected.length; t++) {
                assertEquals(expected[t], actual[t], 1e-4, "ln p of token " + (t + 1));
            }
        }
    }

    @Test
    void theInputConventionComesFromTheConfig() throws Exception {
        Path withPositions = folder.resolve("ts/positions.pt");
        TorchScriptArchive.writeLlama(withPositions, checkpoint, config, "input_ids", "position_ids",
                "attention_mask");
        Map<String, Object> convention = Map.of("torchscript",
                Map.of("inputs", List.of("input_ids", "position_ids", "attention_mask")));
        assertSameTokens(generate(Fixtures.local(huggingFace), batches(Map.of())),
                generate(Fixtures.local(withPositions), batches(convention)));

        // the module takes three tensors; a convention of two is the user's mistake, reported, not a crash
        try (DjlModel model = (DjlModel) backend.open(Fixtures.local(withPositions), batches(Map.of()))) {
            BackendException wrong = assertThrows(BackendException.class,
                    () -> model.generate(requests(), Fixtures.greedy(2), new Fixtures.Recorder()));
            assertTrue(wrong.getMessage().contains("the engine failed"), wrong.getMessage());
        }
    }

    @Test
    void aMissingConfigJsonAnUnknownInputAndHalfPrecisionAreNamed() throws Exception {
        BackendException half = assertThrows(BackendException.class, () -> backend.open(
                new ModelSpec("local", script.toString(), Precision.FLOAT16, "none", 0, Map.of()),
                batches(Map.of())));
        assertTrue(half.getMessage().contains("set precision: float32"), half.getMessage());

        Files.delete(folder.resolve("ts/config.json"));
        BackendException missing = assertThrows(BackendException.class,
                () -> backend.open(Fixtures.local(script), batches(Map.of())));
        assertTrue(missing.getMessage().contains(folder.resolve("ts/config.json").toString())
                && missing.getMessage().contains("backend.djl.torchscript.config"), missing.getMessage());
        ValidationReport report = backend.validate(Fixtures.local(script), batches(Map.of()));
        assertTrue(report.hasErrors() && report.findings().get(0).message().contains("config.json"),
                report.toString());

        ValidationReport unknown = backend.validate(Fixtures.local(script),
                batches(Map.of("torchscript", Map.of("inputs", List.of("input_ids", "token_type_ids")))));
        assertTrue(unknown.hasErrors() && unknown.findings().get(0).message().contains("'token_type_ids' is not a"
                + " known input"), unknown.toString());
    }

    /** The cached convention as the config states it: inputs, then past_key_values. */
    private static Map<String, Object> cachedConvention(String... inputs) {
        return Map.of("torchscript", Map.of("cache", "past_key_values", "inputs", List.of(inputs)));
    }

    @Test
    void aModuleWithAKvCacheGeneratesWhatTheBuiltInDecoderDoesAndCountsCachedPasses() throws Exception {
        Path cached = folder.resolve("ts/cached.pt");
        TorchScriptArchive.writeLlama(cached, checkpoint, config, TorchScriptArchive.Output.PRESENT, "input_ids",
                "attention_mask", "position_ids", "past_key_values");
        Map<String, Object> convention = cachedConvention("input_ids", "attention_mask", "position_ids");
        // one left-padded batch of two prompts, 7 and 2 tokens
        List<GenerationRequest> two = requests().subList(0, 2);
        Run builtIn = run(Fixtures.local(huggingFace), batches(Map.of()), two);
        Run recomputed = run(Fixtures.local(script), batches(Map.of()), two);
        Run withCache = run(Fixtures.local(cached), batches(convention), two);
        assertSameTokens(builtIn.tokens(), withCache.tokens());
        assertTrue(!Arrays.equals(builtIn.tokens().get("a"), builtIn.tokens().get("b")),
                "the two prompts lead to different outputs, so agreement is not by chance");

        // decode: one new position per pass over the cached keys, as the built-in decoder counts it
        assertEquals(builtIn.operations().decodeFlops(), withCache.operations().decodeFlops());
        assertTrue(withCache.operations().decodeFlops() < recomputed.operations().decodeFlops() / 2,
                withCache.operations() + " vs " + recomputed.operations());
        // prefill: the module returns logits for all 7 positions of both rows, the built-in decoder for the last
        long lmHeadFlops = 2L * config.hiddenSize() * config.vocabSize();
        assertEquals(builtIn.operations().prefillFlops() + 2 * 6 * lmHeadFlops, withCache.operations().prefillFlops());
        assertEquals(recomputed.operations().prefillFlops(), withCache.operations().prefillFlops());
        assertTrue(withCache.notes().get("torchscript").contains("KV cache past_key_values"), withCache.notes().toString());

        // scoring runs one position per pass through the same cache
        try (DjlModel builtInModel = (DjlModel) backend.open(Fixtures.local(huggingFace), batches(Map.of()));
                DjlModel model = (DjlModel) backend.open(Fixtures.local(cached), batches(convention))) {
            List<int[]> sequences = List.of(new int[] {3, 17, 5, 40, 9, 9, 22, 61}, new int[] {8, 30, 1});
            List<double[]> expected = builtInModel.logProbabilities(sequences);
            List<double[]> actual = model.logProbabilities(sequences);
            for (int s = 0; s < sequences.size(); s++) {
                for (int t = 0; t < expected.get(s).length; t++) {
                    assertEquals(expected.get(s)[t], actual.get(s)[t], 1e-4, "sequence " + s + ", token " + (t + 1));
                }
            }
        }
    }

    @Test
    void thePastKeysAndValuesGoWhereTheInputsPlaceThem() throws Exception {
        // GPT-2's traced order, positions counted from the mask
        Path cached = folder.resolve("ts/past-second.pt");
        TorchScriptArchive.writeLlama(cached, checkpoint, config, TorchScriptArchive.Output.PRESENT, "input_ids",
                "past_key_values", "attention_mask");
        assertSameTokens(generate(Fixtures.local(huggingFace), batches(Map.of())),
                generate(Fixtures.local(cached), batches(cachedConvention("input_ids", "past_key_values",
                        "attention_mask"))));
    }

    @Test
    void aModuleWhoseOutputsDoNotFollowTheCachedLayoutIsNamed() throws Exception {
        String flat = layoutError(TorchScriptArchive.Output.FLAT_PRESENT);
        assertTrue(flat.contains("it returned (Tensor, Tensor, Tensor, Tensor, Tensor)"), flat);
        // right at the first pass (nothing past), wrong at the second: 1 position where 8 are due
        String newOnly = layoutError(TorchScriptArchive.Output.NEW_ONLY_PRESENT);
        assertTrue(newOnly.contains("the present key of layer 0 is (2, 2, 1, 8)"), newOnly);

        ValidationReport cache = backend.validate(Fixtures.local(script),
                batches(Map.of("torchscript", Map.of("cache", "kv"))));
        assertTrue(cache.hasErrors() && cache.findings().get(0).message().contains("cache must be none")
                && cache.findings().get(0).message().contains("past_key_values"), cache.toString());
        ValidationReport past = backend.validate(Fixtures.local(script),
                batches(Map.of("torchscript", Map.of("inputs", List.of("input_ids", "past_key_values")))));
        assertTrue(past.hasErrors() && past.findings().get(0).message().contains("'past_key_values' is an input"
                + " only with torchscript.cache: past_key_values"), past.toString());
    }

    /** The message of generating with a module that returns {@code output} under the cached convention. */
    private String layoutError(TorchScriptArchive.Output output) throws Exception {
        Path module = folder.resolve("ts/" + output + ".pt");
        TorchScriptArchive.writeLlama(module, checkpoint, config, output, "input_ids", "attention_mask",
                "past_key_values");
        try (DjlModel model = (DjlModel) backend.open(Fixtures.local(module),
                batches(cachedConvention("input_ids", "attention_mask")))) {
            BackendException wrong = assertThrows(BackendException.class,
                    () -> model.generate(requests(), Fixtures.greedy(2), new Fixtures.Recorder()));
            assertTrue(wrong.getMessage().contains("the convention backend.djl.torchscript.cache: past_key_values"),
                    wrong.getMessage());
            return wrong.getMessage();
        }
    }

    @Test
    void aBatchsCacheFreesWhatTheForwardKeptForItWhenItCloses() {
        List<String> closed = new ArrayList<>();
        KvCache cache = new KvCache(config.layers());
        cache.attach(() -> closed.add("first pass"));
        cache.attach(() -> closed.add("second pass"));
        assertEquals(List.of("first pass"), closed, "a new pass's state replaces the last one's");
        cache.close();
        assertEquals(List.of("first pass", "second pass"), closed);
        assertEquals(null, cache.attached());
    }
}
