package lem.api.backend;

import java.util.Map;

/**
 * Settings for one opened model.
 *
 * @param device   {@code cpu}, {@code cuda}, {@code cuda:1}, ...
 * @param batching how requests are batched
 * @param batchSize largest batch
 * @param options  the backend's own section of the experiment config (nested under its name),
 *                 unchanged; a backend validates its own keys
 */
public record BackendSettings(String device, BatchingMode batching, int batchSize, Map<String, Object> options) {
    public BackendSettings {
        device = device == null ? "cpu" : device;
        batching = batching == null ? BatchingMode.STATIC : batching;
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1: " + batchSize);
        }
        options = options == null ? Map.of() : Map.copyOf(options);
    }
}
