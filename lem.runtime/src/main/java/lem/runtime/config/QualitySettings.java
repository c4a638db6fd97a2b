package lem.runtime.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The {@code quality:} section of a config: perplexity of the model on an evaluation text and on
 * its own outputs, scored after the measurement cycles so that it costs no measured energy.
 *
 * @param evalText  the text file to score ({@code quality.eval_text}), resolved against the config
 *                  file that named it; empty when none
 * @param maxTokens at most this many tokens of the text, and of the outputs together, are used
 * @param window    tokens the model sees at once; empty: the model's positions
 * @param stride    step between window starts; empty: the window (non-overlapping windows)
 * @param generated whether the model's own outputs of the last cycle are scored too
 */
public record QualitySettings(Optional<Path> evalText, int maxTokens, OptionalInt window, OptionalInt stride,
        boolean generated) {

    /** The largest evaluation text read: far more tokens than {@code max_tokens} ever uses. */
    static final long MAX_EVAL_TEXT_BYTES = 64L * 1024 * 1024;

    /** Why the evaluation text could not be used, naming the key and the file. */
    public static final class EvalTextException extends Exception {
        private static final long serialVersionUID = 1L;

        EvalTextException(String message) {
            super(message, null, false, false);
        }
    }

    /** Whether anything is to be scored. */
    public boolean enabled() {
        return evalText.isPresent() || generated;
    }

    /** The settings of a resolved config tree ({@link LoadedConfig#tree()}); defaults where it has no section. */
    public static QualitySettings of(Map<String, Object> tree) {
        Map<String, Object> q = tree.get("quality") instanceof Map<?, ?> map ? ConfigLayer.asStringMap(map) : Map.of();
        return new QualitySettings(Optional.ofNullable((String) q.get("eval_text")).map(Path::of),
                q.get("max_tokens") instanceof Long max ? Math.toIntExact(max) : 2048, optionalInt(q.get("window")),
                optionalInt(q.get("stride")), Boolean.TRUE.equals(q.get("generated")));
    }

    private static OptionalInt optionalInt(Object value) {
        return value instanceof Long number ? OptionalInt.of(Math.toIntExact(number)) : OptionalInt.empty();
    }

    /** The evaluation text, read as UTF-8; an error names {@code quality.eval_text}, the file and what is wrong. */
    public String readEvalText() throws EvalTextException {
        Path file = evalText.orElseThrow(() -> new EvalTextException("quality.eval_text is not set"));
        return read(file);
    }

    static String read(Path file) throws EvalTextException {
        String text;
        try {
            text = TextFile.read(file, MAX_EVAL_TEXT_BYTES, "evaluation text");
        } catch (TextFile.UnreadableException e) {
            throw new EvalTextException("quality.eval_text: '" + file + "' " + e.getMessage());
        }
        if (text.isBlank()) {
            throw new EvalTextException("quality.eval_text: '" + file + "' holds no text; name a UTF-8 text file to"
                    + " score");
        }
        return text;
    }
}
