package lem.api.backend;

import org.osgi.annotation.versioning.ConsumerType;

import lem.api.model.ModelSpec;

/**
 * Something that runs a model: an in-process engine or a server. Register an implementation as a
 * DS service with {@link InferenceBackendService} (service property {@value #NAME}).
 */
@ConsumerType
public interface InferenceBackend {
    /** Service property: the backend's name, as experiment configs refer to it. */
    String NAME = "lem.backend.name";

    BackendInfo info();

    /**
     * Opens (loads, or attaches to) a model.
     *
     * @throws BackendException with a message for the user when the model or a setting is wrong
     */
    LoadedModel open(ModelSpec model, BackendSettings settings) throws BackendException;
}
