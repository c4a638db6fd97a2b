package lem.backend.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import lem.api.backend.BackendException;
import lem.api.backend.LoadedModel;
import lem.api.backend.SequenceScorer;
import lem.backend.djl.onnx.OnnxFixture;
import lem.backend.djl.transformer.ReferenceForward;
import lem.backend.djl.transformer.TinyCheckpoint;
import lem.backend.djl.transformer.TransformerConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Perplexity of an ONNX model: the log-probabilities ONNX Runtime gives the gpt2-tiny export against
 * the DJL decoder's and a float64 forward pass of the same weights, over the sliding windows of a
 * text longer than one window, and a quality-scoring call through {@link SequenceScorer} as the
 * runtime makes it.
 */
class OnnxScoringTest {

    private static final int VOCAB = 2048;
    /** 190 tokens in windows of 40 every 20: nine windows, the last one 30 tokens (padded in its batch of 8). */
    private static final int TOKENS = 190;
    private static final int WINDOW = 40;
    private static final int STRIDE = 20;
    /** float32 engines against each other and against float64, on log-probabilities in nats. */
    private static final double TOLERANCE = 1e-3;

    @TempDir
    static Path root;
    private static OnnxFixture fixture;
    private static int[] ids;
    private static List<int[]> windows;
    /** Index of each window's first own score: the tokens before it were scored by an earlier window. */
    private static List<Integer> firstScored;
    /** ln p(token t + 1 | tokens 0..t) of each window from the float64 forward pass. */
    private static List<double[]> referenceScores;
    private final DjlBackend backend = Fixtures.backend();

    @BeforeAll
    static void writeFixture() throws Exception {
        fixture = OnnxFixture.write(root, 31);
        // the same tokenizer beside the safetensors, so that both models split the text alike
        TinyCheckpoint.writeWordLevelTokenizer(fixture.safetensorsFolder, VOCAB);
        ids = new Random(7).ints(TOKENS, 1, VOCAB).toArray();
        windows = new ArrayList<>();
        firstScored = new ArrayList<>();
        int previousEnd = 0;
        for (int begin = 0; previousEnd < TOKENS; begin += STRIDE) {
            int end = Math.min(begin + WINDOW, TOKENS);
            windows.add(Arrays.copyOfRange(ids, begin, end));
            firstScored.add(Math.max(0, previousEnd - begin - 1));
            previousEnd = end;
        }
        ReferenceForward reference = new ReferenceForward(TransformerConfig.of(fixture.config, "gpt2-tiny"),
                fixture.checkpoint.tensors);
        referenceScores = new ArrayList<>();
        for (int[] window : windows) {
            double[][] logits = reference.logits(window);
            double[] scores = new double[window.length - 1];
            for (int t = 0; t < scores.length; t++) {
                scores[t] = SequenceScoringTest.logSoftmax(logits[t], window[t + 1]);
            }
            referenceScores.add(scores);
        }
    }

    @Test
    void everyWindowsLogProbabilitiesMatchTheDjlDecoderAndAFloat64ForwardPass() throws Exception {
        assertEquals(9, windows.size());
        try (LoadedModel onnx = backend.open(Fixtures.local(fixture.onnxFolder), Fixtures.batches(1));
                LoadedModel djl = backend.open(Fixtures.local(fixture.safetensorsFolder), Fixtures.batches(1))) {
            List<double[]> onnxScores = ((SequenceScorer) onnx).logProbabilities(windows);
            List<double[]> djlScores = ((SequenceScorer) djl).logProbabilities(windows);
            assertEquals(windows.size(), onnxScores.size());
            for (int w = 0; w < windows.size(); w++) {
                assertEquals(windows.get(w).length - 1, onnxScores.get(w).length, "window " + w);
                for (int t = 0; t < onnxScores.get(w).length; t++) {
                    String what = "window " + w + ", ln p(token " + (t + 1) + " | tokens 0.." + t + ")";
                    assertEquals(referenceScores.get(w)[t], onnxScores.get(w)[t], TOLERANCE, what + ", float64");
                    assertEquals(djlScores.get(w)[t], onnxScores.get(w)[t], TOLERANCE, what + ", DJL decoder");
                }
            }
        }
    }

    @Test
    void aQualityScoringCallOnAnOnnxFolderGivesTheDjlDecodersPerplexity() throws Exception {
        String text = Arrays.stream(ids).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
        double onnxPerplexity;
        try (LoadedModel onnx = backend.open(Fixtures.local(fixture.onnxFolder), Fixtures.batches(1))) {
            assertTrue(onnx instanceof SequenceScorer, "an ONNX model scores");
            SequenceScorer scorer = (SequenceScorer) onnx;
            assertEquals(512, scorer.maxSequenceTokens());
            BackendException tooLong = assertThrows(BackendException.class,
                    () -> scorer.logProbabilities(List.of(new int[513])));
            assertTrue(tooLong.getMessage().contains("513 tokens") && tooLong.getMessage().contains("512 positions"),
                    tooLong.getMessage());
            onnxPerplexity = perplexity(scorer, text);
        }
        double djlPerplexity;
        try (LoadedModel djl = backend.open(Fixtures.local(fixture.safetensorsFolder), Fixtures.batches(1))) {
            djlPerplexity = perplexity((SequenceScorer) djl, text);
        }
        double referencePerplexity = perplexity(referenceScores);
        assertTrue(Double.isFinite(onnxPerplexity) && onnxPerplexity > 1, "perplexity " + onnxPerplexity);
        assertEquals(djlPerplexity, onnxPerplexity, TOLERANCE * djlPerplexity, "ONNX against DJL");
        assertEquals(referencePerplexity, onnxPerplexity, TOLERANCE * referencePerplexity, "ONNX against float64");
    }

    /** What the runtime's quality scoring does with a text: encode, score the windows, exp of the mean NLL. */
    private static double perplexity(SequenceScorer scorer, String text) throws BackendException {
        assertArrayEquals(ids, scorer.encode(text), "the tokenizer's ids");
        return perplexity(scorer.logProbabilities(windows));
    }

    /** exp of the mean NLL of each window's own tokens. */
    private static double perplexity(List<double[]> scored) {
        double sum = 0;
        long count = 0;
        for (int w = 0; w < windows.size(); w++) {
            double[] logProbabilities = scored.get(w);
            for (int t = firstScored.get(w); t < logProbabilities.length; t++) {
                sum += logProbabilities[t];
                count++;
            }
        }
        assertEquals(TOKENS - 1, count, "every token but the first scored once");
        return Math.exp(-sum / count);
    }
}
