package lem.runtime.run;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import lem.api.backend.BackendException;
import lem.api.backend.GenerationRequest;
import lem.api.backend.LoadedModel;
import lem.api.backend.SequenceScorer;
import lem.runtime.config.QualitySettings;
import lem.runtime.results.QualityResult;
import lem.runtime.results.QualityResult.Figure;

/**
 * Perplexity of a loaded model, after the measurement: on the evaluation text, cut into windows
 * the model can see, and on the model's own outputs of the last cycle (prompt + output, scored
 * over the output tokens only). A model that cannot score gets a note, never a failed run; every
 * problem lands in the figure's {@code error} and the measured cycles stay as they are.
 */
final class QualityScoring {

    private final QualitySettings settings;

    QualityScoring(QualitySettings settings) {
        this.settings = settings;
    }

    /**
     * @param backendName   the backend, for the "not supported" note
     * @param lastCycle     the requests of the last measured cycle
     * @param generatedIds  the output token ids the backend reported for them, by request id
     */
    QualityResult score(LoadedModel model, String backendName, List<GenerationRequest> lastCycle,
            Map<String, int[]> generatedIds) {
        long startedNanos = System.nanoTime();
        List<String> notes = new ArrayList<>();
        Figure eval = null;
        Figure generated = null;
        if (!(model instanceof SequenceScorer scorer)) {
            notes.add("quality: not supported by " + backendName + " (its models cannot score token sequences)");
        } else {
            if (settings.evalText().isPresent()) {
                eval = evalText(scorer);
            }
            if (settings.generated()) {
                generated = generated(scorer, lastCycle, generatedIds);
            }
        }
        return new QualityResult(eval, generated, notes, startedNanos, System.nanoTime());
    }

    private Figure evalText(SequenceScorer scorer) {
        String file = settings.evalText().orElseThrow().toString();
        String text;
        try {
            text = settings.readEvalText();
        } catch (QualitySettings.EvalTextException e) {
            return Figure.failed(e.getMessage(), file);
        }
        try {
            int[] ids = scorer.encode(text);
            int used = Math.min(ids.length, settings.maxTokens());
            if (used < 2) {
                return Figure.failed("quality.eval_text: '" + file + "' gives " + ids.length
                        + " token(s); perplexity needs at least 2", file);
            }
            int window = settings.window().orElse(scorer.maxSequenceTokens());
            if (window > scorer.maxSequenceTokens()) {
                return Figure.failed("quality.window: " + window + " tokens exceed the model's "
                        + scorer.maxSequenceTokens() + " positions; make it at most that or leave it out", file);
            }
            int stride = Math.min(settings.stride().orElse(window), window);
            Windows windows = Windows.of(Arrays.copyOf(ids, used), window, stride);
            List<double[]> scored = scorer.logProbabilities(windows.sequences());
            double sum = windows.sum(scored);
            String method = method(window, stride) + "; " + used + " of the text's " + ids.length + " tokens used"
                    + (used < ids.length ? " (quality.max_tokens = " + settings.maxTokens() + ")" : "");
            return Figure.scored(sum, windows.scoredTokens(), method, file, sha256(text));
        } catch (BackendException e) {
            return Figure.failed("quality.eval_text: scoring '" + file + "' failed: " + e.getMessage(), file);
        }
    }

    static String method(int window, int stride) {
        if (stride == window) {
            return "non-overlapping windows of " + window + " tokens; in each window every token but the first is"
                    + " scored given the tokens before it in that window";
        }
        return "sliding windows of " + window + " tokens every " + stride + " tokens (Hugging Face's strided"
                + " perplexity): each token after the first is scored once, in the first window that holds it,"
                + " with at least " + (window - stride) + " tokens of context after the first window";
    }

    private Figure generated(SequenceScorer scorer, List<GenerationRequest> requests, Map<String, int[]> outputs) {
        List<int[]> sequences = new ArrayList<>();
        List<Integer> promptLengths = new ArrayList<>();
        int budget = settings.maxTokens();
        int missing = 0;
        boolean capped = false;
        try {
            for (GenerationRequest request : requests) {
                int[] output = outputs.get(request.id());
                if (output == null || output.length == 0) {
                    missing++;
                    continue;
                }
                if (budget <= 0) {
                    capped = true;
                    break;
                }
                int[] prompt = request.prompt().tokenIds().isEmpty() ? scorer.encode(request.prompt().text())
                        : request.prompt().tokenIds().stream().mapToInt(Integer::intValue).toArray();
                int kept = Math.min(output.length, budget);
                capped |= kept < output.length;
                int[] sequence = Arrays.copyOf(prompt, prompt.length + kept);
                System.arraycopy(output, 0, sequence, prompt.length, kept);
                sequences.add(sequence);
                promptLengths.add(prompt.length);
                budget -= kept;
            }
            if (sequences.isEmpty()) {
                return Figure.failed("quality.generated: the backend reported no generated token ids for the last"
                        + " cycle's " + requests.size() + " requests, so its outputs cannot be scored", null);
            }
            List<double[]> scored = scorer.logProbabilities(sequences);
            double sum = 0;
            long tokens = 0;
            for (int s = 0; s < sequences.size(); s++) {
                // element t scores token t + 1: the outputs are tokens promptLength .. end
                double[] logProbabilities = scored.get(s);
                for (int t = promptLengths.get(s) - 1; t < logProbabilities.length; t++) {
                    sum += logProbabilities[t];
                    tokens++;
                }
            }
            String method = "the last cycle's outputs: each request's prompt + output scored as one sequence,"
                    + " only the output tokens counted; " + sequences.size() + " of " + requests.size() + " requests"
                    + (missing > 0 ? " (" + missing + " without generated ids)" : "")
                    + (capped ? ", capped at quality.max_tokens = " + settings.maxTokens() + " tokens" : "");
            return Figure.scored(sum, tokens, method, null, null);
        } catch (BackendException e) {
            return Figure.failed("quality.generated: scoring the outputs failed: " + e.getMessage(), null);
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /**
     * The windows of a token sequence: window {@code k} covers {@code [k * stride, k * stride +
     * window)} (cut at the end), and scores the tokens in it past the previous window's end, never
     * its own first token; the last window is the first that reaches the end.
     */
    record Windows(List<int[]> sequences, List<Integer> firstScored) {

        static Windows of(int[] ids, int window, int stride) {
            List<int[]> sequences = new ArrayList<>();
            List<Integer> firstScored = new ArrayList<>();
            int previousEnd = 0;
            for (int begin = 0; previousEnd < ids.length; begin += stride) {
                int end = Math.min(begin + window, ids.length);
                int first = Math.max(previousEnd, begin + 1);
                if (end - begin >= 2 && first < end) {
                    sequences.add(Arrays.copyOfRange(ids, begin, end));
                    // index in the window's log-probabilities of the first scored token's own score
                    firstScored.add(first - begin - 1);
                }
                previousEnd = end;
            }
            return new Windows(sequences, firstScored);
        }

        long scoredTokens() {
            long n = 0;
            for (int w = 0; w < sequences.size(); w++) {
                n += sequences.get(w).length - 1 - firstScored.get(w);
            }
            return n;
        }

        double sum(List<double[]> scored) {
            double sum = 0;
            for (int w = 0; w < sequences.size(); w++) {
                double[] logProbabilities = scored.get(w);
                for (int t = firstScored.get(w); t < logProbabilities.length; t++) {
                    sum += logProbabilities[t];
                }
            }
            return sum;
        }
    }
}
