package lem.backend.openai.client;

import java.util.Objects;

import lem.api.backend.DecodeSettings;
import lem.api.backend.Prompt;

/**
 * One streamed generation.
 *
 * @param id     the request id, for results and messages
 * @param prompt text, or token ids (sent as a token-id array: completions endpoint only)
 * @param decode sampling and output length
 */
public record StreamRequest(String id, Prompt prompt, DecodeSettings decode) {
    public StreamRequest {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(decode, "decode");
    }
}
