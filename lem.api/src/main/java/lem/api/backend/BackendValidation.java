package lem.api.backend;

import org.osgi.annotation.versioning.ConsumerType;

import lem.api.model.ModelSpec;

/**
 * What a backend may check before anything runs: its model, device and own options, as an
 * experiment config asks for them. An {@link InferenceBackend} service may also implement this
 * interface; the runtime then calls {@link #validate} when a config is validated and before a run
 * creates anything, and refuses a config with an {@link ValidationFinding.Severity#ERROR error}.
 *
 * <p>It must be quick and must not load the model: read headers and metadata, not weights.
 */
@ConsumerType
public interface BackendValidation {
    /**
     * Checks what {@link InferenceBackend#open} would be given.
     *
     * @return every finding (all of them, not only the first) and what the model takes
     */
    ValidationReport validate(ModelSpec model, BackendSettings settings);
}
