package lem.backend.djl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntFunction;
import lem.api.backend.BackendException;
import lem.backend.djl.transformer.BatchForward;
import lem.backend.djl.transformer.OperationCount;
import lem.backend.djl.transformer.TransformerConfig;

/**
 * Log-probabilities of token sequences under a decoder's raw next-token distribution, for
 * perplexity, on any engine that runs a {@link BatchForward} (the DJL decoder, TorchScript, ONNX
 * Runtime): the engine supplies logits, this class does the arithmetic. Sequences of similar
 * length run together as the rows of a left-padded batch; each pass feeds one more position of
 * every row through the engine's KV cache, and the logits of that position (the last of the pass)
 * are the distribution over the next token. Log-softmax is taken on the host in double precision.
 */
final class SequenceScoring {

    /** Rows scored together: enough to keep a CPU busy, few enough that padding stays short. */
    static final int ROWS_PER_BATCH = 8;

    private final TransformerConfig config;
    private final IntFunction<BatchForward> forwards;

    /**
     * @param config   the vocabulary and positions the sequences are checked against
     * @param forwards starts one batch's passes (with an empty cache), given the positions the batch reaches
     */
    SequenceScoring(TransformerConfig config, IntFunction<BatchForward> forwards) {
        this.config = config;
        this.forwards = forwards;
    }

    List<double[]> logProbabilities(List<int[]> sequences) throws BackendException {
        for (int s = 0; s < sequences.size(); s++) {
            check(s, sequences.get(s));
        }
        double[][] answers = new double[sequences.size()][];
        List<Integer> order = new ArrayList<>();
        for (int s = 0; s < sequences.size(); s++) {
            order.add(s);
        }
        order.sort(Comparator.comparingInt(s -> sequences.get(s).length));
        for (int from = 0; from < order.size(); from += ROWS_PER_BATCH) {
            List<Integer> batch = order.subList(from, Math.min(order.size(), from + ROWS_PER_BATCH));
            List<int[]> rows = batch.stream().map(sequences::get).toList();
            double[][] scored = scoreBatch(rows);
            for (int b = 0; b < batch.size(); b++) {
                answers[batch.get(b)] = scored[b];
            }
        }
        return Arrays.asList(answers);
    }

    private void check(int index, int[] sequence) throws BackendException {
        if (sequence.length < 2) {
            throw new BackendException("sequence " + index + " has " + sequence.length
                    + " token(s); scoring needs at least 2 (the first is context only)");
        }
        if (sequence.length > config.maxPositions()) {
            throw new BackendException("sequence " + index + " has " + sequence.length + " tokens, more than the"
                    + " model's " + config.maxPositions() + " positions");
        }
        for (int id : sequence) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new BackendException("sequence " + index + ": token id " + id
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
    }

    /** Rows left-padded to the longest; pass {@code t} feeds column {@code t} and scores column {@code t + 1}. */
    private double[][] scoreBatch(List<int[]> rows) throws BackendException {
        int count = rows.size();
        int longest = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        int vocab = config.vocabSize();
        int[] padding = new int[count];
        double[][] scores = new double[count][];
        boolean[][] keyValid = new boolean[count][longest];
        for (int b = 0; b < count; b++) {
            padding[b] = longest - rows.get(b).length;
            scores[b] = new double[rows.get(b).length - 1];
        }
        long[][] ids = new long[count][1];
        int[][] positions = new int[count][1];
        OperationCount unused = new OperationCount();
        try (DjlClassLoaderScope scope = DjlClassLoaderScope.enter(); BatchForward forward = forwards.apply(longest)) {
            for (int t = 0; t < longest - 1; t++) {
                for (int b = 0; b < count; b++) {
                    boolean real = t >= padding[b];
                    ids[b][0] = real ? rows.get(b)[t - padding[b]] : 0;
                    positions[b][0] = real ? t - padding[b] : 0;
                    keyValid[b][t] = real;
                }
                float[] logits = forward.forward(ids, positions, keyValid, unused);
                for (int b = 0; b < count; b++) {
                    if (t >= padding[b]) {
                        int target = rows.get(b)[t + 1 - padding[b]];
                        scores[b][t - padding[b]] = logSoftmaxAt(logits, b * vocab, vocab, target);
                    }
                }
            }
        } catch (RuntimeException e) {
            throw new BackendException("the engine failed while scoring sequences: " + e.getMessage(), e);
        }
        return scores;
    }

    /** {@code ln softmax(logits[offset .. offset + vocab))[target]}, in double precision. */
    static double logSoftmaxAt(float[] logits, int offset, int vocab, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[offset + i] - max);
        }
        return logits[offset + target] - max - Math.log(sum);
    }
}
