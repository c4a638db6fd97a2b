package lem.api.backend;

import java.util.Map;

/**
 * Settings for one opened model.
 *
 * @param device   {@code cpu}, {@code cuda}, {@code cuda:1}, ...
 * @param batching how requests are batched
 * @param batchSize largest batch
 * @param maxTokensPerBatch token budget of a batch (each request's prompt tokens plus its maximum
 *                 new tokens, summed), 0 for none; only for backends whose
 *                 {@link Capabilities#tokenBudget()} is true
 * @param options  the backend's own section of the experiment config (nested under its name),
 *                 unchanged; a backend validates its own keys
 */
public record BackendSettings(String device, BatchingMode batching, int batchSize, int maxTokensPerBatch,
        Map<String, Object> options) {
    public BackendSettings {
        device = device == null ? "cpu" : device;
        batching = batching == null ? BatchingMode.STATIC : batching;
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1: " + batchSize);
        }
        if (maxTokensPerBatch < 0) {
            throw new IllegalArgumentException("maxTokensPerBatch must be >= 0: " + maxTokensPerBatch);
        }
        options = options == null ? Map.of() : Map.copyOf(options);
    }

    /** Settings without a token budget. */
    public BackendSettings(String device, BatchingMode batching, int batchSize, Map<String, Object> options) {
        this(device, batching, batchSize, 0, options);
    }
}
