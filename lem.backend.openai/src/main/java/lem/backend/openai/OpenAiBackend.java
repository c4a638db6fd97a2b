package lem.backend.openai;

import java.util.EnumSet;

import org.osgi.service.component.annotations.Component;

import lem.api.backend.BackendException;
import lem.api.backend.BackendInfo;
import lem.api.backend.BackendSettings;
import lem.api.backend.InferenceBackend;
import lem.api.backend.InferenceBackendService;
import lem.api.backend.LoadedModel;
import lem.api.backend.Parallelism;
import lem.api.model.ModelSpec;
import lem.backend.openai.client.ServedModel;
import lem.backend.openai.client.ServerBackends;

/**
 * Any running OpenAI-compatible server (SGLang, TGI, llama.cpp's server, Ollama, vLLM, ...),
 * attached by the URL in {@code backend.openai.url}.
 */
@Component(service = InferenceBackend.class)
@InferenceBackendService(name = OpenAiBackend.NAME)
public class OpenAiBackend implements InferenceBackend {
    public static final String NAME = "openai";

    @Override
    public BackendInfo info() {
        return new BackendInfo(NAME, "any OpenAI-compatible streaming server, attached by URL",
                "OpenAI-compatible HTTP/SSE", ServerBackends.capabilities(EnumSet.of(Parallelism.NONE), java.util.Set.of("served")));
    }

    @Override
    public LoadedModel open(ModelSpec model, BackendSettings settings) throws BackendException {
        return ServedModel.open(NAME, model, settings, null, false, null);
    }

    /** Server logs and scraped metrics go to {@code <results folder>/server/} unless {@code log_dir} says otherwise. */
    @Override
    public LoadedModel open(ModelSpec model, BackendSettings settings, java.nio.file.Path resultsFolder)
            throws BackendException {
        return ServedModel.open(NAME, model, settings, null, false, resultsFolder);
    }
}
