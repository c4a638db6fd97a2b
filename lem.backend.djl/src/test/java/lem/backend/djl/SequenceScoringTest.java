package lem.backend.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import lem.api.backend.BackendException;
import lem.api.backend.GenerationRequest;
import lem.api.backend.Prompt;
import lem.api.backend.SequenceScorer;
import lem.backend.djl.transformer.ReferenceForward;
import lem.backend.djl.transformer.TinyCheckpoint;
import lem.backend.djl.transformer.TransformerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The DJL model as a {@link SequenceScorer}: log-probabilities for perplexity, checked against float64 by hand. */
class SequenceScoringTest {

    @TempDir
    Path folder;

    private final DjlBackend backend = Fixtures.backend();

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void logProbabilitiesMatchLogSoftmaxOfAFloat64ForwardPass(String family) throws Exception {
        Map<String, Object> config = family.equals("gpt2") ? TinyCheckpoint.gpt2Config()
                : TinyCheckpoint.llamaConfig("llama");
        TinyCheckpoint checkpoint = TinyCheckpoint.random(config, 21);
        checkpoint.write(folder);
        ReferenceForward reference = new ReferenceForward(TransformerConfig.of(config, "test"), checkpoint.tensors);
        // three lengths in one call: the shorter rows are left-padded in one batch
        List<int[]> sequences = List.of(new int[] {3, 17, 5, 40, 9, 9, 22, 61, 0, 12},
                new int[] {7, 1}, new int[] {50, 2, 33, 8, 8});
        try (LoadedModelScorer model = open()) {
            List<double[]> scored = model.scorer.logProbabilities(sequences);
            assertEquals(3, scored.size());
            for (int s = 0; s < sequences.size(); s++) {
                int[] tokens = sequences.get(s);
                double[][] logits = reference.logits(tokens);
                assertEquals(tokens.length - 1, scored.get(s).length);
                for (int t = 0; t + 1 < tokens.length; t++) {
                    double expected = logSoftmax(logits[t], tokens[t + 1]);
                    assertEquals(expected, scored.get(s)[t], 1e-4,
                            "sequence " + s + ", ln p(token " + (t + 1) + " | tokens 0.." + t + ")");
                }
            }
        }
    }

    @Test
    void aModelWhoseLogitsAreAllEqualHasThePerplexityOfItsVocabulary() throws Exception {
        Map<String, Object> config = TinyCheckpoint.llamaConfig("llama");
        TinyCheckpoint checkpoint = TinyCheckpoint.random(config, 22);
        // a zero LM head gives every token logit 0: the uniform distribution over 64 tokens
        Arrays.fill(checkpoint.tensors.get("lm_head.weight"), 0f);
        checkpoint.write(folder);
        TinyCheckpoint.writeWordLevelTokenizer(folder, 64);
        try (LoadedModelScorer model = open()) {
            int[] ids = model.scorer.encode("w1 w2 w3 w60 w61 w7 w8 w9");
            assertArrayEquals(new int[] {1, 2, 3, 60, 61, 7, 8, 9}, ids, "the tokenizer's ids");
            double[] logProbabilities = model.scorer.logProbabilities(List.of(ids)).get(0);
            double meanNll = -Arrays.stream(logProbabilities).average().orElseThrow();
            assertEquals(64.0, Math.exp(meanNll), 1e-6, "perplexity of a uniform model = vocabulary size");
        }
    }

    @Test
    void scoringLeavesGenerationUnchangedAndReportsGeneratedIds() throws Exception {
        TinyCheckpoint.random(TinyCheckpoint.llamaConfig("llama"), 23).write(folder);
        try (LoadedModelScorer model = open()) {
            List<GenerationRequest> requests = List.of(new GenerationRequest("a", Prompt.ofTokens(List.of(4, 5, 6)), 0));
            Fixtures.Recorder recorder = new Fixtures.Recorder();
            model.model.generate(requests, Fixtures.greedy(5), recorder);
            int[] before = model.model.outputTokens("a");
            assertArrayEquals(before, recorder.ids.get("a").stream().mapToInt(Integer::intValue).toArray(),
                    "the listener got the generated ids in order");
            model.scorer.logProbabilities(List.of(new int[] {1, 2, 3, 4}));
            model.model.generate(requests, Fixtures.greedy(5), new Fixtures.Recorder());
            assertArrayEquals(before, model.model.outputTokens("a"));
        }
    }

    @Test
    void outOfRangeSequencesAndAMissingTokenizerAreNamed() throws Exception {
        TinyCheckpoint.random(TinyCheckpoint.llamaConfig("llama"), 24).write(folder);
        try (LoadedModelScorer model = open()) {
            assertEquals(128, model.scorer.maxSequenceTokens());
            BackendException vocab = assertThrows(BackendException.class,
                    () -> model.scorer.logProbabilities(List.of(new int[] {1, 64})));
            assertTrue(vocab.getMessage().contains("token id 64") && vocab.getMessage().contains("[0, 64)"),
                    vocab.getMessage());
            BackendException tooLong = assertThrows(BackendException.class,
                    () -> model.scorer.logProbabilities(List.of(new int[129])));
            assertTrue(tooLong.getMessage().contains("129 tokens") && tooLong.getMessage().contains("128 positions"),
                    tooLong.getMessage());
            BackendException text = assertThrows(BackendException.class, () -> model.scorer.encode("w1 w2"));
            assertTrue(text.getMessage().contains("no tokenizer"), text.getMessage());
        }
    }

    private LoadedModelScorer open() throws BackendException {
        return new LoadedModelScorer((DjlModel) backend.open(Fixtures.local(folder), Fixtures.batches(1)));
    }

    static double logSoftmax(double[] logits, int target) {
        double max = Arrays.stream(logits).max().orElseThrow();
        double sum = 0;
        for (double l : logits) {
            sum += Math.exp(l - max);
        }
        return logits[target] - max - Math.log(sum);
    }

    /** The model seen through the contract the runtime uses. */
    private record LoadedModelScorer(DjlModel model, SequenceScorer scorer) implements AutoCloseable {
        LoadedModelScorer(DjlModel model) {
            this(model, model);
        }

        @Override
        public void close() {
            model.close();
        }
    }
}
