package lem.backend.openai.client;

import java.util.Locale;

/** How the tokens of a streamed chunk were counted, from most to least exact. */
public enum TokenCountMethod {
    /** The chunk's token ids ({@code token_ids}), one per token: exact. */
    TOKEN_IDS,
    /** The chunk's per-token logprobs, one entry per token: exact. */
    LOGPROBS,
    /**
     * One token per chunk with content while streaming; the request's total is the usage chunk's
     * {@code completion_tokens}, so the total is exact but per-chunk counts are not.
     */
    USAGE,
    /** One token per chunk with content and no usage: an estimate. */
    CHUNKS;

    /** The name written in notes: {@code token_ids}, {@code logprobs}, ... */
    public String noteName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
