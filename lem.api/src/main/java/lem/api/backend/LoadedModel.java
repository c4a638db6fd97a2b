package lem.api.backend;

import java.util.List;
import java.util.Set;

import lem.api.model.ModelDescription;

/** A model opened by a backend, ready to generate. Close it to free its memory. */
@org.osgi.annotation.versioning.ConsumerType
public interface LoadedModel extends AutoCloseable {

    ModelDescription description();

    /**
     * Identities of the accelerators this model runs on, as energy sources key them (GPU UUIDs),
     * so that energy is attributed to the right devices; empty for CPU.
     */
    Set<String> deviceIds();

    /**
     * Generates for all requests, honouring each request's arrival offset and the batching
     * settings, and reports every token to the listener as it appears. Returns when every request
     * has finished or failed. Interrupting the calling thread stops generation early with a
     * {@link BackendException}.
     */
    GenerationResult generate(List<GenerationRequest> requests, DecodeSettings decode, GenerationListener listener)
            throws BackendException;

    @Override
    void close();
}
