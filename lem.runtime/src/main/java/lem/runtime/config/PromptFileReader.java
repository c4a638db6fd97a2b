package lem.runtime.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the prompts of {@code prompts.source: file}: a {@code .txt} file holds one prompt per
 * line, a {@code .jsonl} file one JSON object per line with a {@code "prompt"} text. Blank lines
 * are skipped in both. Only a regular UTF-8 file of at most {@link #MAX_PROMPT_FILE_BYTES} is
 * read: a device such as {@code /dev/zero} or a FIFO is refused without being opened.
 */
public final class PromptFileReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The largest prompt file read (checked before reading, like its being a regular file). */
    public static final long MAX_PROMPT_FILE_BYTES = 64L * 1024 * 1024;

    /** A prompt file that cannot be used; {@link #problem()} says where and why. */
    public static final class InvalidPromptFileException extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient ConfigProblem problem;

        InvalidPromptFileException(ConfigProblem problem) {
            super(problem.toString(), null, false, false);
            this.problem = problem;
        }

        public ConfigProblem problem() {
            return problem;
        }
    }

    private PromptFileReader() {
    }

    /** The prompts of the file, in order; never empty. */
    public static List<String> read(Path file) throws InvalidPromptFileException {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean jsonLines = name.endsWith(".jsonl");
        if (!jsonLines && !name.endsWith(".txt")) {
            throw invalid(file, 0, "expected a .txt file (one prompt per line) or a .jsonl file"
                    + " (one {\"prompt\": \"...\"} object per line)");
        }
        List<String> lines;
        try {
            lines = TextFile.read(file, MAX_PROMPT_FILE_BYTES, "prompt file").lines().toList();
        } catch (TextFile.UnreadableException unreadable) {
            throw invalid(file, unreadable.line(), unreadable.getMessage());
        }
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            prompts.add(jsonLines ? promptOf(file, i + 1, line) : line);
        }
        if (prompts.isEmpty()) {
            throw invalid(file, 0, "the prompt file holds no prompts");
        }
        return List.copyOf(prompts);
    }

    private static String promptOf(Path file, int lineNumber, String line)
            throws InvalidPromptFileException {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException syntax) {
            throw invalid(file, lineNumber, "not a JSON object: " + syntax.getOriginalMessage());
        }
        JsonNode prompt = node == null ? null : node.get("prompt");
        if (prompt == null || !prompt.isTextual()) {
            throw invalid(file, lineNumber, "expected a JSON object with a \"prompt\" text, got "
                    + (line.length() > 80 ? line.substring(0, 80) + "..." : line));
        }
        return prompt.asText();
    }

    private static InvalidPromptFileException invalid(Path file, int line, String message) {
        return new InvalidPromptFileException(new ConfigProblem(file.toString(), "prompts.file", line, message));
    }
}
