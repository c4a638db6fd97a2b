package lem.api.backend;

import java.util.List;

/**
 * A prompt as text, as token ids, or both. Token ids let a benchmark fix input lengths exactly
 * (a synthetic model has no tokenizer).
 *
 * @param text     prompt text, or null
 * @param tokenIds prompt token ids, or empty
 */
public record Prompt(String text, List<Integer> tokenIds) {
    public Prompt {
        tokenIds = tokenIds == null ? List.of() : List.copyOf(tokenIds);
        if (text == null && tokenIds.isEmpty()) {
            throw new IllegalArgumentException("a prompt needs text or token ids");
        }
    }

    public static Prompt ofText(String text) {
        return new Prompt(text, List.of());
    }

    public static Prompt ofTokens(List<Integer> tokenIds) {
        return new Prompt(null, tokenIds);
    }
}
