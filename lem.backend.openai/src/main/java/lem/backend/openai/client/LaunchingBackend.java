package lem.backend.openai.client;

import java.util.EnumSet;
import java.util.Set;

import lem.api.backend.BackendException;
import lem.api.backend.BackendInfo;
import lem.api.backend.BackendSettings;
import lem.api.backend.InferenceBackend;
import lem.api.backend.LoadedModel;
import lem.api.backend.Parallelism;
import lem.api.model.ModelSpec;

/**
 * A backend for a server that lem can launch as well as attach to (vLLM, TensorRT-LLM): a
 * subclass names the program and builds its command line; opening, streaming, timing, load and
 * metrics are {@link ServedModel}'s.
 */
public abstract class LaunchingBackend implements InferenceBackend, ServerLauncher {
    private final String name;
    private final BackendInfo info;
    private final String program;
    private final String executable;
    private final String metricsPath;
    private final Set<String> keys;

    /**
     * @param name        the backend's name, and its config section {@code backend.<name>}
     * @param program     the program for messages ({@code vllm serve})
     * @param executable  what is run when {@code executable} is not set
     * @param metricsPath its Prometheus page
     * @param keys        its launch settings
     */
    protected LaunchingBackend(String name, String description, String engine, String program, String executable,
            String metricsPath, Set<String> keys) {
        this.name = name;
        this.info = new BackendInfo(name, description, engine, ServerBackends.capabilities(
                EnumSet.of(Parallelism.NONE, Parallelism.TENSOR, Parallelism.PIPELINE), Set.of("served", "local")));
        this.program = program;
        this.executable = executable;
        this.metricsPath = metricsPath;
        this.keys = Set.copyOf(keys);
    }

    @Override
    public BackendInfo info() {
        return info;
    }

    /** Attaches when {@code url} is set, else launches. */
    @Override
    public LoadedModel open(ModelSpec model, BackendSettings settings) throws BackendException {
        return ServedModel.open(name, model, settings, this, true, null);
    }

    /** As {@link #open(ModelSpec, BackendSettings)}, the server's log and metrics in {@code <results folder>/server/}. */
    @Override
    public LoadedModel open(ModelSpec model, BackendSettings settings, java.nio.file.Path resultsFolder)
            throws BackendException {
        return ServedModel.open(name, model, settings, this, true, resultsFolder);
    }

    @Override
    public String program() {
        return program;
    }

    @Override
    public Set<String> launchKeys() {
        return keys;
    }

    @Override
    public String defaultExecutable() {
        return executable;
    }

    @Override
    public String metricsPath() {
        return metricsPath;
    }
}
