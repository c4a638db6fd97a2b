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

    /**
     * Opens a model for one experiment whose results go to {@code resultsFolder}: a backend may keep
     * its own files there (a server's log, scraped metrics) beside the experiment's raw results. By
     * default the folder is not used and {@link #open(ModelSpec, BackendSettings)} is called.
     *
     * @param resultsFolder the experiment's results folder ({@code results/<experiment id>/}), which
     *                      exists; a backend writes only below a folder of its own name inside it
     * @throws BackendException with a message for the user when the model or a setting is wrong
     */
    default LoadedModel open(ModelSpec model, BackendSettings settings, java.nio.file.Path resultsFolder)
            throws BackendException {
        return open(model, settings);
    }
}
