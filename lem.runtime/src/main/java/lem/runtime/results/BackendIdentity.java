package lem.runtime.results;

import java.util.Objects;

/**
 * Which backend produced a raw result.
 *
 * @param name          the backend's service name ({@code djl}, {@code vllm})
 * @param bundleVersion version of the bundle that provided it
 * @param engine        the engine underneath and its version, in words ({@code PyTorch 2.5.1})
 */
public record BackendIdentity(String name, String bundleVersion, String engine) {
    public BackendIdentity {
        Objects.requireNonNull(name, "name");
        bundleVersion = bundleVersion == null ? "" : bundleVersion;
        engine = engine == null ? "" : engine;
    }
}
