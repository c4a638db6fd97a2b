package lem.flops.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import lem.api.backend.ExecutedOperations;
import lem.api.flops.Confidence;
import lem.api.flops.FlopsAnswer;
import lem.api.flops.FlopsEstimate;
import lem.api.flops.FlopsStrategy;
import lem.api.flops.RequestShape;
import lem.api.flops.Workload;
import lem.api.model.ModelDescription;
import lem.api.model.Precision;

class FlopsStrategiesTest {
    private final FlopsStrategy counted = new CountedFlopsStrategy();
    private final FlopsStrategy analytical = new AnalyticalFlopsStrategy();
    private final FlopsStrategy parameters = new ParameterFlopsStrategy();

    /** The tiny Llama of TransformerShapeTest: 1160 parameters, prefill(3) = 6496, decode steps 2336 and 2400. */
    private static Map<String, Object> tinyLlama() {
        Map<String, Object> config = new HashMap<>();
        config.put("model_type", "llama");
        config.put("vocab_size", 10);
        config.put("hidden_size", 8);
        config.put("num_attention_heads", 4);
        config.put("num_key_value_heads", 2);
        config.put("intermediate_size", 12);
        config.put("num_hidden_layers", 2);
        return config;
    }

    private static ModelDescription model(long parameterCount, Map<String, Object> config) {
        return new ModelDescription("tiny", "llama", parameterCount, Precision.FLOAT32, Precision.FLOAT32, "none",
                config);
    }

    /** Two requests: 3 prompt and 3 generated tokens, 2 prompt and 1 generated. */
    private static Workload workload(Optional<ExecutedOperations> executed) {
        return new Workload(List.of(new RequestShape(3, 3), new RequestShape(2, 1)), executed);
    }

    private static FlopsEstimate present(FlopsAnswer answer) {
        assertTrue(answer.estimate().isPresent(), answer.reasonAbsent());
        return answer.estimate().get();
    }

    @Test
    void countedAnswersOnlyWithExecutedOperations() {
        FlopsAnswer none = counted.estimate(model(1160, tinyLlama()), workload(Optional.empty()));
        assertFalse(none.estimate().isPresent());
        assertEquals("the backend did not count operations", none.reasonAbsent());

        FlopsEstimate estimate = present(counted.estimate(model(1160, tinyLlama()),
                workload(Optional.of(new ExecutedOperations(7000, 4736, "matmuls and attention")))));
        assertEquals("counted", estimate.strategy());
        assertEquals(Confidence.HIGH, estimate.confidence());
        assertEquals(7000, estimate.prefillFlops());
        assertEquals(4736, estimate.decodeFlops());
        assertTrue(estimate.notes().get(0).contains("matmuls and attention"), estimate.notes().toString());
    }

    @Test
    void countedRefusesZeroFlopsForTokensThatRan() {
        FlopsAnswer answer = counted.estimate(model(1160, tinyLlama()),
                workload(Optional.of(new ExecutedOperations(0, 0, ""))));
        assertFalse(answer.estimate().isPresent());
        assertTrue(answer.reasonAbsent().contains("0 FLOPs for 9 tokens"), answer.reasonAbsent());
    }

    @Test
    void countedTakesZeroFlopsWhenNoTokenRan() {
        FlopsEstimate estimate = present(counted.estimate(model(1160, tinyLlama()),
                new Workload(List.of(), Optional.of(new ExecutedOperations(0, 0, "")))));
        assertEquals(0, estimate.prefillFlops() + estimate.decodeFlops());
    }

    /** Mistral's sliding window is counted as dense attention: said when a request outgrows it. */
    @Test
    void analyticalNotesASlidingWindowOnlyWhenARequestOutgrowsIt() {
        Map<String, Object> config = tinyLlama();
        config.put("model_type", "mistral");
        config.put("sliding_window", 5);
        // the longest request holds 3 prompt + 3 generated = 6 keys: more than the window's 5
        FlopsEstimate outgrown = present(analytical.estimate(model(0, config), workload(Optional.empty())));
        assertTrue(outgrown.notes().contains("sliding-window attention (5 tokens) counted as dense attention over "
                + "all 6 keys of the longest request"), outgrown.notes().toString());

        config.put("sliding_window", 6);
        FlopsEstimate within = present(analytical.estimate(model(0, config), workload(Optional.empty())));
        assertFalse(within.notes().stream().anyMatch(note -> note.contains("sliding-window")), within.notes().toString());
    }

    @Test
    void analyticalSumsRequestsFromTheConfig() {
        FlopsEstimate estimate = present(analytical.estimate(model(0, tinyLlama()), workload(Optional.empty())));
        assertEquals("analytical", estimate.strategy());
        assertEquals(Confidence.MEDIUM, estimate.confidence());
        assertEquals(1160, estimate.parameterCount());
        // prefill(3) = 6496 (hand-derived in TransformerShapeTest); prefill(2) per layer: 2 x 2 x 480
        // + 4 x 8 x 4 = 2048, 2 layers 4096, LM head 160 -> 4256
        assertEquals(6496 + 4256, estimate.prefillFlops());
        // the first request decodes tokens 2 and 3 at 4 and 5 keys; the second generated only its first token
        assertEquals(2336 + 2400, estimate.decodeFlops());
        assertTrue(estimate.notes().stream().anyMatch(note -> note.contains("padding is not included")
                && note.contains("rows that finished")), estimate.notes().toString());
    }

    @Test
    void analyticalSaysWhenItCannotReadTheArchitecture() {
        FlopsAnswer noConfig = analytical.estimate(model(1160, Map.of()), workload(Optional.empty()));
        assertEquals("the backend gave no config.json to read the architecture from", noConfig.reasonAbsent());

        Map<String, Object> unknown = tinyLlama();
        unknown.put("model_type", "rwkv");
        FlopsAnswer unsupported = analytical.estimate(model(1160, unknown), workload(Optional.empty()));
        assertFalse(unsupported.estimate().isPresent());
        assertTrue(unsupported.reasonAbsent().contains("model_type 'rwkv' is not supported"),
                unsupported.reasonAbsent());
    }

    @Test
    void analyticalTakesTheArchitectureWhenTheConfigOmitsModelType() {
        Map<String, Object> config = tinyLlama();
        config.remove("model_type");
        assertEquals(1160, present(analytical.estimate(model(0, config), workload(Optional.empty())))
                .parameterCount());
    }

    @Test
    void analyticalNotesAParameterCountThatDisagreesWithTheBackend() {
        FlopsEstimate estimate = present(analytical.estimate(model(1200, tinyLlama()), workload(Optional.empty())));
        assertTrue(estimate.notes().stream().anyMatch(note -> note.contains("reports 1200")
                && note.contains("gives 1160")), estimate.notes().toString());
    }

    @Test
    void parametersAnswersWhereAnalyticalCannot() {
        Map<String, Object> unknown = tinyLlama();
        unknown.put("model_type", "rwkv");
        ModelDescription model = model(1_000_000, unknown);
        assertFalse(analytical.estimate(model, workload(Optional.empty())).estimate().isPresent());

        FlopsEstimate estimate = present(parameters.estimate(model, workload(Optional.empty())));
        assertEquals("parameters", estimate.strategy());
        assertEquals(Confidence.LOW, estimate.confidence());
        // prefill: 2 x 1e6 x (3 + 2) prompt tokens; decode: 2 x 1e6 x ((3 - 1) + (1 - 1)) tokens
        assertEquals(10_000_000, estimate.prefillFlops());
        assertEquals(4_000_000, estimate.decodeFlops());
    }

    @Test
    void parametersCountsFromTheConfigWhenTheBackendGaveNoCount() {
        FlopsEstimate estimate = present(parameters.estimate(model(0, tinyLlama()), workload(Optional.empty())));
        assertEquals(1160, estimate.parameterCount());
        assertEquals(2 * 1160 * 5, estimate.prefillFlops());
        assertTrue(estimate.notes().get(0).contains("from config.json"), estimate.notes().get(0));
    }

    @Test
    void parametersHasNoAnswerWithoutACount() {
        Map<String, Object> unknown = tinyLlama();
        unknown.put("model_type", "rwkv");
        FlopsAnswer answer = parameters.estimate(model(0, unknown), workload(Optional.empty()));
        assertFalse(answer.estimate().isPresent());
        assertTrue(answer.reasonAbsent().startsWith("no parameter count"), answer.reasonAbsent());
    }

    @Test
    void quantisedWeightsAreCountedAtTheComputePrecision() {
        ModelDescription quantised = new ModelDescription("tiny-awq", "llama", 1160, Precision.INT4,
                Precision.FLOAT16, "awq", tinyLlama());
        Workload executed = workload(Optional.of(new ExecutedOperations(10_752, 4736, "")));
        long unquantisedTotal = present(analytical.estimate(model(1160, tinyLlama()), executed)).totalFlops();
        for (FlopsStrategy strategy : List.of(counted, analytical, parameters)) {
            FlopsEstimate estimate = present(strategy.estimate(quantised, executed));
            assertEquals(Precision.FLOAT16, estimate.computePrecision(), strategy.name());
            assertTrue(estimate.notes().stream().anyMatch(note -> note.contains("awq")
                    && note.contains("dequantised") && note.contains("float16")), estimate.notes().toString());
        }
        assertEquals(unquantisedTotal, present(analytical.estimate(quantised, executed)).totalFlops(),
                "dequantised weights do the same matmuls");
        assertTrue(present(analytical.estimate(model(1160, tinyLlama()), executed)).notes().stream()
                .noneMatch(note -> note.contains("dequantised")));
    }

    @Test
    void strategiesReportTheirNamesAndConfidence() {
        assertEquals(List.of("counted", "analytical", "parameters"),
                List.of(counted.name(), analytical.name(), parameters.name()));
        assertEquals(List.of(Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW),
                List.of(counted.confidence(), analytical.confidence(), parameters.confidence()));
    }
}
