package lem.example.backend;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import lem.api.backend.BackendException;
import lem.api.backend.BackendInfo;
import lem.api.backend.BackendSettings;
import lem.api.backend.BatchingMode;
import lem.api.backend.Capabilities;
import lem.api.backend.DecodeSettings;
import lem.api.backend.GenerationListener;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.InferenceBackend;
import lem.api.backend.InferenceBackendService;
import lem.api.backend.LoadedModel;
import lem.api.backend.Parallelism;
import lem.api.backend.RequestResult;
import lem.api.backend.TokenEvent;
import lem.api.model.ModelDescription;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;

/**
 * The template for plugin authors: a backend written against lem.api alone. It "generates" by
 * echoing the prompt's token ids back, one per {@code token_delay_ms}, so timings are predictable.
 * Copy this module, rename the package and the backend name, and put a real engine behind
 * {@link #open}.
 */
@Component
@InferenceBackendService(name = "example-echo")
@Designate(ocd = EchoBackend.Config.class)
public class EchoBackend implements InferenceBackend {

    @ObjectClassDefinition(name = "lem example echo backend")
    public @interface Config {
        @AttributeDefinition(description = "pause before each generated token, in milliseconds")
        long token_delay_ms() default 1;
    }

    private final long tokenDelayNanos;

    @Activate
    public EchoBackend(Config config) {
        this.tokenDelayNanos = config.token_delay_ms() * 1_000_000L;
    }

    @Override
    public BackendInfo info() {
        return new BackendInfo("example-echo", "echoes prompt tokens back (plugin template)", "none",
                new Capabilities(true, EnumSet.of(BatchingMode.STATIC), Set.of("cpu"), EnumSet.of(Precision.FLOAT32),
                        EnumSet.of(Parallelism.NONE), false, Set.of("synthetic")));
    }

    @Override
    public LoadedModel open(ModelSpec model, BackendSettings settings) throws BackendException {
        if (!settings.device().equals("cpu")) {
            throw new BackendException("example-echo runs on cpu only, not " + settings.device());
        }
        ModelDescription description = new ModelDescription(model.name(), "echo", 0, Precision.FLOAT32,
                Precision.FLOAT32, "none", java.util.Map.of("model_type", "echo", "vocab_size", 256));
        return new EchoModel(description, tokenDelayNanos);
    }

    static final class EchoModel implements LoadedModel {
        private final ModelDescription description;
        private final long tokenDelayNanos;

        EchoModel(ModelDescription description, long tokenDelayNanos) {
            this.description = description;
            this.tokenDelayNanos = tokenDelayNanos;
        }

        @Override
        public ModelDescription description() {
            return description;
        }

        @Override
        public Set<String> deviceIds() {
            return Set.of();
        }

        @Override
        public GenerationResult generate(List<GenerationRequest> requests, DecodeSettings decode,
                GenerationListener listener) throws BackendException {
            long callStart = System.nanoTime();
            List<RequestResult> results = new ArrayList<>();
            for (GenerationRequest request : requests) {
                long arrival = callStart + request.arrivalOffsetNanos();
                while (System.nanoTime() < arrival) {
                    LockSupport.parkNanos(arrival - System.nanoTime());
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw new BackendException("interrupted");
                }
                int input = request.prompt().tokenIds().isEmpty() ? request.prompt().text().length()
                        : request.prompt().tokenIds().size();
                long start = System.nanoTime();
                listener.requestStarted(request.id(), start);
                long first = 0;
                int n = decode.maxNewTokens();
                for (int i = 0; i < n; i++) {
                    LockSupport.parkNanos(tokenDelayNanos);
                    long now = System.nanoTime();
                    if (i == 0) {
                        first = now;
                    }
                    listener.tokens(new TokenEvent(request.id(), i, 1, now));
                }
                RequestResult result = new RequestResult(request.id(), start, first, System.nanoTime(), input, n,
                        "length", null);
                listener.requestFinished(result);
                results.add(result);
            }
            return new GenerationResult(results, Optional.empty(), -1, java.util.Map.of());
        }

        @Override
        public void close() {
            // nothing held
        }
    }
}
