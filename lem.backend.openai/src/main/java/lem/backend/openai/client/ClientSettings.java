package lem.backend.openai.client;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How to talk to one server.
 *
 * @param baseUrl           {@code http://host:port} (a trailing {@code /v1} is dropped)
 * @param model             the served model name sent in each request
 * @param endpoint          completions or chat
 * @param apiKeyEnv         name of the environment variable holding the API key, or null for none;
 *                          only the name is kept here, never the key
 * @param logprobs          ask for per-token logprobs so that each chunk's tokens are counted exactly
 * @param tokenIds          ask for token ids ({@code return_token_ids}, vLLM 0.10.2+)
 * @param vllmSampling      send vLLM's sampling extensions ({@code min_tokens}, {@code ignore_eos},
 *                          {@code top_k}, {@code repetition_penalty}), which vLLM, trtllm-serve and
 *                          SGLang accept; off for servers that reject unknown fields
 * @param stallTimeout      a stream with no bytes for this long fails as stalled (headers included)
 * @param extraBody         further fields merged into every request body
 */
public record ClientSettings(URI baseUrl, String model, Endpoint endpoint, String apiKeyEnv, boolean logprobs,
        boolean tokenIds, boolean vllmSampling, Duration stallTimeout, Map<String, Object> extraBody) {
    public ClientSettings {
        Objects.requireNonNull(baseUrl, "baseUrl");
        String text = baseUrl.toString();
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        if (text.endsWith("/v1")) {
            text = text.substring(0, text.length() - 3);
        }
        baseUrl = URI.create(text);
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(stallTimeout, "stallTimeout");
        extraBody = extraBody == null ? Map.of() : Map.copyOf(extraBody);
    }

    /** The same settings for another served model name. */
    public ClientSettings withModel(String servedModel) {
        return new ClientSettings(baseUrl, servedModel, endpoint, apiKeyEnv, logprobs, tokenIds, vllmSampling,
                stallTimeout, extraBody);
    }
}
