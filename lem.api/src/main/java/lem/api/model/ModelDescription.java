package lem.api.model;

import java.util.Map;
import java.util.Objects;

/**
 * What was opened: enough for a FLOPs strategy to cost it and for a result to say what ran.
 *
 * @param name             the model's name as the user gave it
 * @param architecture     the Hugging Face {@code model_type} ({@code gpt2}, {@code llama}, ...), or
 *                         {@code unknown}
 * @param parameterCount   number of parameters, or 0 when not known
 * @param weightPrecision  precision the weights are stored in
 * @param computePrecision precision the matmuls run in (a quantised model is dequantised to this)
 * @param quantisation     quantisation scheme name, or {@code none}
 * @param config           the architecture's Hugging Face {@code config.json} as a map; empty when
 *                         the backend cannot see it (a remote server, say)
 */
public record ModelDescription(String name, String architecture, long parameterCount, Precision weightPrecision,
        Precision computePrecision, String quantisation, Map<String, Object> config) {
    public ModelDescription {
        Objects.requireNonNull(name, "name");
        architecture = architecture == null ? "unknown" : architecture;
        Objects.requireNonNull(weightPrecision, "weightPrecision");
        Objects.requireNonNull(computePrecision, "computePrecision");
        quantisation = quantisation == null ? "none" : quantisation;
        config = config == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(config));
    }
}
