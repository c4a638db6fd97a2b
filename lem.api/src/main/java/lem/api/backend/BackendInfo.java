package lem.api.backend;

import java.util.Objects;

/**
 * Identity of a backend.
 *
 * @param name         equal to its {@link InferenceBackend#NAME} service property
 * @param description  one line for people
 * @param engine       the engine and its version ({@code DJL 0.35.1 / PyTorch 2.7.1})
 * @param capabilities what it can do
 */
public record BackendInfo(String name, String description, String engine, Capabilities capabilities) {
    public BackendInfo {
        Objects.requireNonNull(name, "name");
        description = description == null ? "" : description;
        engine = engine == null ? "" : engine;
        Objects.requireNonNull(capabilities, "capabilities");
    }
}
