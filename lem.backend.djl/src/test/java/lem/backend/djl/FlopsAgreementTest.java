package lem.backend.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.GsonBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lem.api.backend.DecodeSettings;
import lem.api.backend.ExecutedOperations;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.LoadedModel;
import lem.api.backend.RequestResult;
import lem.api.flops.Confidence;
import lem.api.flops.FlopsEstimate;
import lem.api.flops.RequestShape;
import lem.api.flops.Workload;
import lem.api.model.ModelDescription;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.backend.djl.transformer.ModelPresets;
import lem.flops.analytical.TransformerShape;
import lem.flops.strategy.AnalyticalFlopsStrategy;
import lem.flops.strategy.CountedFlopsStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The FLOPs the decoder counts as it runs against the analytical FLOPs that lem.flops works out from
 * the same config.json. One request per batch, both describe the same computation and must agree to
 * the FLOP. A padded static batch executes more than its requests need: the padding positions, and the
 * rows that finished but stay in the batch; the excess is worked out here from the dimensions alone
 * and must be exactly the difference, and the results must say that the counts include it.
 */
class FlopsAgreementTest {

    private static final int[] PROMPT_TOKENS = {1, 5, 17};
    private static final int[] OUTPUT_TOKENS = {1, 2, 6};
    /** A padded batch: the longest prompt (9) sets the width, the others are left-padded to it. */
    private static final int[] BATCH_PROMPT_TOKENS = {4, 9, 2};

    private final DjlBackend backend = Fixtures.backend();
    private final AnalyticalFlopsStrategy analytical = new AnalyticalFlopsStrategy();
    private final CountedFlopsStrategy counted = new CountedFlopsStrategy();

    @TempDir
    Path folder;

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "qwen2-tiny", "mistral-tiny"})
    void oneRequestPerBatchCountsExactlyTheAnalyticalFlops(String preset) throws Exception {
        try (LoadedModel model = backend.open(Fixtures.synthetic(preset), Fixtures.batches(1))) {
            TransformerShape shape = TransformerShape.fromConfig(model.description().config());
            assertEquals(shape.parameterCount(), model.description().parameterCount(), preset + " parameters");
            int vocab = (int) shape.vocabSize();
            for (int prompt : PROMPT_TOKENS) {
                for (int output : OUTPUT_TOKENS) {
                    String label = preset + " prompt " + prompt + ", output " + output;
                    GenerationResult result = model.generate(Fixtures.prompts(1, prompt, vocab, prompt),
                            Fixtures.greedy(output), new Fixtures.Recorder());
                    assertEquals(output, result.requests().get(0).outputTokens(), label);
                    ExecutedOperations executed = result.operations().orElseThrow();
                    assertEquals(shape.prefillFlops(prompt), executed.prefillFlops(), label + ": prefill");
                    assertEquals(shape.decodeFlops(prompt, output), executed.decodeFlops(), label + ": decode");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "qwen2-tiny", "mistral-tiny"})
    void theCountedAndAnalyticalStrategiesGiveTheSameFiguresForUnpaddedRequests(String preset) throws Exception {
        try (LoadedModel model = backend.open(Fixtures.synthetic(preset), Fixtures.batches(1))) {
            List<GenerationRequest> requests = new ArrayList<>();
            for (int prompt : PROMPT_TOKENS) {
                requests.add(request("p" + prompt, prompt, model));
            }
            GenerationResult result = model.generate(requests, Fixtures.greedy(4), new Fixtures.Recorder());
            Workload workload = workload(result);
            FlopsEstimate fromCounts = counted.estimate(model.description(), workload).estimate().orElseThrow();
            FlopsEstimate fromConfig = analytical.estimate(model.description(), workload).estimate().orElseThrow();
            assertEquals(Confidence.HIGH, fromCounts.confidence());
            assertEquals(Confidence.MEDIUM, fromConfig.confidence());
            assertEquals(fromConfig.parameterCount(), fromCounts.parameterCount(), preset + " parameters");
            assertEquals(fromConfig.prefillFlops(), fromCounts.prefillFlops(), preset + " prefill");
            assertEquals(fromConfig.decodeFlops(), fromCounts.decodeFlops(), preset + " decode");
            assertFalse(fromConfig.notes().stream().anyMatch(n -> n.contains("the backend reports")),
                    "the analytical strategy found the backend's parameter count different: " + fromConfig.notes());
        }
    }

    @Test
    void gpt2SmallCountsExactlyTheAnalyticalFlopsOfItsPublishedSize() throws Exception {
        // a short request keeps the 124M-parameter model to a few forward passes on 2 CPU cores
        try (LoadedModel model = backend.open(Fixtures.synthetic("gpt2-small"), Fixtures.batches(1))) {
            TransformerShape shape = TransformerShape.fromConfig(model.description().config());
            assertEquals(124_439_808L, shape.parameterCount(), "Hugging Face's count for gpt2");
            assertEquals(124_439_808L, model.description().parameterCount());
            GenerationResult result = model.generate(Fixtures.prompts(1, 3, (int) shape.vocabSize(), 3),
                    Fixtures.greedy(3), new Fixtures.Recorder());
            ExecutedOperations executed = result.operations().orElseThrow();
            assertEquals(shape.prefillFlops(3), executed.prefillFlops(), "prefill");
            assertEquals(shape.decodeFlops(3, 3), executed.decodeFlops(), "decode");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "qwen2-tiny", "mistral-tiny"})
    void aPaddedBatchCountsMoreThanAnalyticalByExactlyItsPadding(String preset) throws Exception {
        int output = 5;
        try (LoadedModel model = backend.open(Fixtures.synthetic(preset),
                Fixtures.batches(BATCH_PROMPT_TOKENS.length))) {
            List<GenerationRequest> requests = batchRequests(model);
            GenerationResult result = model.generate(requests, Fixtures.greedy(output), new Fixtures.Recorder());
            Dimensions dims = Dimensions.of(model.description());
            int[] generated = new int[requests.size()];
            Arrays.fill(generated, output);
            assertExcessIsExplained(model.description(), result, dims, generated, preset);
        }
    }

    @Test
    void rowsThatFinishEarlyButStayInTheirStaticBatchAreCountedAndExplained() throws Exception {
        int maxNew = 6;
        Map<String, Object> config = new LinkedHashMap<>(ModelPresets.config("llama-tiny"));
        Path file = folder.resolve("config.json");
        writeConfig(file, config);
        // the same seeded weights whatever the end-of-sequence id: first see what each row generates
        ModelSpec spec = new ModelSpec("synthetic", file.toString(), Precision.FLOAT32, "none", 42, Map.of());
        int[][] tokens = new int[BATCH_PROMPT_TOKENS.length][];
        try (DjlModel model = (DjlModel) backend.open(spec, Fixtures.batches(BATCH_PROMPT_TOKENS.length))) {
            List<GenerationRequest> requests = batchRequests(model);
            model.generate(requests, Fixtures.greedy(maxNew), new Fixtures.Recorder());
            for (int r = 0; r < tokens.length; r++) {
                tokens[r] = model.outputTokens(requests.get(r).id());
            }
        }
        // then make one of those tokens the end of sequence, so that the rows stop at different steps
        int eos = -1;
        int[] stopsAfter = null;
        for (int candidate : tokensIn(tokens)) {
            int[] lengths = outputLengthsWithEos(tokens, candidate, maxNew);
            int shortest = Arrays.stream(lengths).min().orElseThrow();
            if (shortest < Arrays.stream(lengths).max().orElseThrow()) {
                eos = candidate;
                stopsAfter = lengths;
                break;
            }
        }
        assertTrue(eos >= 0, "no generated token ends the rows at different steps: " + Arrays.deepToString(tokens));
        config.put("eos_token_id", eos);
        writeConfig(file, config);
        try (DjlModel model = (DjlModel) backend.open(spec, Fixtures.batches(BATCH_PROMPT_TOKENS.length))) {
            GenerationResult result = model.generate(batchRequests(model),
                    new DecodeSettings(0, 0, 1, 1, 7, 1, maxNew), new Fixtures.Recorder());
            for (int r = 0; r < stopsAfter.length; r++) {
                assertEquals(stopsAfter[r], result.requests().get(r).outputTokens(), "row " + r + " with eos " + eos);
            }
            assertExcessIsExplained(model.description(), result, Dimensions.of(model.description()), stopsAfter,
                    "llama-tiny with eos " + eos);
        }
    }

    /**
     * Counted minus analytical must be exactly the padding and the finished rows of the batch, and
     * both strategies must say which side includes them.
     */
    private void assertExcessIsExplained(ModelDescription description, GenerationResult result, Dimensions dims,
            int[] generated, String label) {
        ExecutedOperations executed = result.operations().orElseThrow();
        Workload workload = workload(result);
        FlopsEstimate fromCounts = counted.estimate(description, workload).estimate().orElseThrow();
        FlopsEstimate fromConfig = analytical.estimate(description, workload).estimate().orElseThrow();
        assertEquals(executed.prefillFlops(), fromCounts.prefillFlops());
        assertEquals(executed.decodeFlops(), fromCounts.decodeFlops());

        long prefillExcess = dims.prefillPaddingFlops(BATCH_PROMPT_TOKENS);
        long decodeExcess = dims.decodeExcessFlops(BATCH_PROMPT_TOKENS, generated);
        assertTrue(prefillExcess > 0 && decodeExcess > 0, label + ": the batch is padded");
        assertEquals(prefillExcess, fromCounts.prefillFlops() - fromConfig.prefillFlops(), label + ": prefill excess");
        assertEquals(decodeExcess, fromCounts.decodeFlops() - fromConfig.decodeFlops(), label + ": decode excess");

        assertTrue(executed.counts().contains("padding positions of a batch and rows that already finished but stay"
                + " in their static batch are included"), executed.counts());
        assertTrue(fromCounts.notes().stream().anyMatch(n -> n.contains(executed.counts())), fromCounts.notes()
                .toString());
        assertTrue(fromConfig.notes().stream().anyMatch(n -> n.contains("padding is not included")),
                fromConfig.notes().toString());
    }

    /** The shapes a workload has, as the runtime builds it from the backend's results. */
    private static Workload workload(GenerationResult result) {
        List<RequestShape> shapes = new ArrayList<>();
        for (RequestResult r : result.requests()) {
            shapes.add(new RequestShape(r.inputTokens(), r.outputTokens()));
        }
        return new Workload(shapes, result.operations());
    }

    private static List<GenerationRequest> batchRequests(LoadedModel model) {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int prompt : BATCH_PROMPT_TOKENS) {
            requests.add(request("p" + prompt, prompt, model));
        }
        return requests;
    }

    private static GenerationRequest request(String id, int promptTokens, LoadedModel model) {
        int vocab = ((Number) model.description().config().get("vocab_size")).intValue();
        return new GenerationRequest(id, Fixtures.prompts(1, promptTokens, vocab, promptTokens).get(0).prompt(), 0);
    }

    private static Set<Integer> tokensIn(int[][] rows) {
        Set<Integer> seen = new LinkedHashSet<>();
        for (int[] row : rows) {
            for (int token : row) {
                seen.add(token);
            }
        }
        return seen;
    }

    /** How many tokens each row keeps when {@code eos} ends it (from the first token on), capped at maxNew. */
    private static int[] outputLengthsWithEos(int[][] rows, int eos, int maxNew) {
        int[] lengths = new int[rows.length];
        for (int r = 0; r < rows.length; r++) {
            lengths[r] = maxNew;
            for (int j = 0; j < rows[r].length; j++) {
                if (rows[r][j] == eos) {
                    lengths[r] = j + 1;
                    break;
                }
            }
        }
        return lengths;
    }

    private static void writeConfig(Path file, Map<String, Object> config) throws Exception {
        Files.writeString(file, new GsonBuilder().serializeNulls().create().toJson(config));
    }

    /**
     * The dimensions of the model, and the FLOPs a padded static batch executes beyond what its
     * requests need, worked out from the batch's geometry (2 FLOPs per multiply-add).
     *
     * @param layers      L
     * @param hidden      h
     * @param queryWidth  q = heads x head_dim
     * @param matmulWeights M, the weights of one layer's projections and MLP
     * @param vocab       V
     */
    private record Dimensions(long layers, long hidden, long queryWidth, long matmulWeights, long vocab) {

        static Dimensions of(ModelDescription description) {
            TransformerShape shape = TransformerShape.fromConfig(description.config());
            long h = shape.hiddenSize();
            long q = shape.attentionHeads() * shape.headDim();
            long k = shape.keyValueHeads() * shape.headDim();
            // q and o are h x q, k and v are h x k; GPT-2's MLP has 2 matrices, the gated ones 3
            long mlpMatrices = description.architecture().equals("gpt2") ? 2 : 3;
            long m = 2 * h * q + 2 * h * k + mlpMatrices * h * shape.mlpWidth();
            return new Dimensions(shape.layers(), h, q, m, shape.vocabSize());
        }

        /**
         * Each row is left-padded to the longest prompt P: its padding positions go through every
         * projection ({@code 2 M} each per layer), and the attention matmuls run over P x P instead
         * of p x p per head ({@code 4 q (P^2 - p^2)} per layer). The LM head sees only the last
         * position, which is real in every row.
         */
        long prefillPaddingFlops(int[] prompts) {
            long longest = Arrays.stream(prompts).max().orElseThrow();
            long excess = 0;
            for (int p : prompts) {
                long padding = longest - p;
                excess += layers * (2 * padding * matmulWeights + 4 * queryWidth * (longest * longest - (long) p * p));
            }
            return excess;
        }

        /**
         * The batch runs S = (most tokens any row generates) - 1 decode steps for every row. A row
         * that generates g tokens needs steps 1..g-1, in which it attends over its padding as well
         * ({@code 4 q (P - p)} per layer and step); steps g..S it runs only because its batch does,
         * each a full step at context {@code P + s}: {@code L (2 M + 4 q (P + s)) + 2 h V}.
         */
        long decodeExcessFlops(int[] prompts, int[] generated) {
            long longest = Arrays.stream(prompts).max().orElseThrow();
            long steps = Arrays.stream(generated).max().orElseThrow() - 1;
            long excess = 0;
            for (int r = 0; r < prompts.length; r++) {
                long padding = longest - prompts[r];
                excess += (generated[r] - 1L) * layers * 4 * queryWidth * padding;
                for (long s = generated[r]; s <= steps; s++) {
                    excess += layers * (2 * matmulWeights + 4 * queryWidth * (longest + s)) + 2 * hidden * vocab;
                }
            }
            return excess;
        }
    }
}
