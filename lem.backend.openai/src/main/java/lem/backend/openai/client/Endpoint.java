package lem.backend.openai.client;

import java.util.Locale;

/** The two streaming APIs of an OpenAI-compatible server. */
public enum Endpoint {
    /** {@code /v1/completions}: text or token-id prompts. */
    COMPLETIONS("/v1/completions"),
    /** {@code /v1/chat/completions}: one user message of text. */
    CHAT("/v1/chat/completions");

    private final String path;

    Endpoint(String path) {
        this.path = path;
    }

    public String path() {
        return path;
    }

    /** The name used in configs: {@code completions} or {@code chat}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
