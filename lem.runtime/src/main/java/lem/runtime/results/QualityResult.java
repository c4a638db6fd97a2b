package lem.runtime.results;

import java.util.List;

/**
 * {@code quality} in {@code result.json} (and {@code quality.json} beside the raw files): perplexity
 * of the model, scored after the last measurement cycle's window closed, so it costs no measured
 * energy. Scoring uses the model's raw next-token distribution (temperature 1, no top-k, top-p or
 * repetition penalty).
 *
 * @param evalText     the evaluation text's figure ({@code quality.eval_text}), or null when none was asked
 * @param generated    the figure of the model's own outputs ({@code quality.generated}), or null
 * @param notes        why a figure is missing or less sure, in words (e.g. "quality: not supported by vllm")
 * @param startedNanos {@link System#nanoTime()} when scoring began: after every cycle's window end
 * @param endedNanos   {@link System#nanoTime()} when scoring ended
 */
public record QualityResult(Figure evalText, Figure generated, List<String> notes, long startedNanos,
        long endedNanos) {

    public static final String FILE = "quality.json";

    public QualityResult {
        notes = notes == null ? List.of() : List.copyOf(notes);
    }

    /**
     * One perplexity figure: {@code exp(meanNllNats)}.
     *
     * @param perplexity    exp of the mean negative log-likelihood; null when it could not be scored
     * @param meanNllNats   mean negative log-likelihood per scored token, natural log (nats)
     * @param tokensScored  tokens whose probability was scored
     * @param method        how tokens were split into scored sequences, in words
     * @param file          the evaluation text file, or null for generated outputs
     * @param sha256        the file's SHA-256 (hex), or null
     * @param error         why there is no figure, naming the key and file; null when scored
     */
    public record Figure(Double perplexity, Double meanNllNats, long tokensScored, String method, String file,
            String sha256, String error) {

        /** A figure from a sum of log-probabilities over {@code tokens} tokens. */
        public static Figure scored(double sumLogProbability, long tokens, String method, String file, String sha256) {
            double meanNll = -sumLogProbability / tokens;
            return new Figure(Math.exp(meanNll), meanNll, tokens, method, file, sha256, null);
        }

        public static Figure failed(String error, String file) {
            return new Figure(null, null, 0, null, file, null, error);
        }
    }
}
