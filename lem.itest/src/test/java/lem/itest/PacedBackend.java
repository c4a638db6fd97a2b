package lem.itest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import lem.api.backend.BackendException;
import lem.api.backend.BackendInfo;
import lem.api.backend.BackendSettings;
import lem.api.backend.BackendValidation;
import lem.api.backend.BatchingMode;
import lem.api.backend.Capabilities;
import lem.api.backend.DecodeSettings;
import lem.api.backend.GenerationListener;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.InferenceBackend;
import lem.api.backend.LoadedModel;
import lem.api.backend.Parallelism;
import lem.api.backend.RequestResult;
import lem.api.backend.TokenEvent;
import lem.api.backend.ValidationFinding;
import lem.api.backend.ValidationReport;
import lem.api.model.ModelDescription;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;

/**
 * A backend for the end-to-end tests: it generates {@code max_new_tokens} tokens per request,
 * one request after the other, sleeping between tokens like a real decoder, and reports every
 * token with its {@link System#nanoTime()}. It can be told to fail or to block in a given
 * measurement batch (a {@code generate} call whose requests are not warmup requests, which are
 * named {@code warmup-<n>}). While it generates, {@link #busy()} is true so that the simulated meter draws more power.
 */
final class PacedBackend implements InferenceBackend, BackendValidation {
    /** The longest prompt plus new tokens it takes, as a model's positions would limit it. */
    static final int MAX_SEQUENCE_TOKENS = 64;
    static final int VOCABULARY_SIZE = 1000;

    private final String name;
    private final long tokenGapNanos;
    private final AtomicInteger generating = new AtomicInteger();
    private final AtomicInteger measurementBatches = new AtomicInteger();
    private volatile int failInBatch;
    private volatile int blockInBatch;
    /** Counted down when generation is blocked in {@link #blockInBatch}. */
    final CountDownLatch blocked = new CountDownLatch(1);
    /** Counted down by a test to let a blocked generation go on. */
    final CountDownLatch release = new CountDownLatch(1);
    /** Tokens reported to listeners, all calls together. */
    final AtomicInteger tokensReported = new AtomicInteger();

    PacedBackend(String name, long tokenGapNanos) {
        this.name = name;
        this.tokenGapNanos = tokenGapNanos;
    }

    /** The n-th measurement batch (1-based) fails after its first request's tokens. */
    PacedBackend failingInBatch(int n) {
        failInBatch = n;
        return this;
    }

    /** The n-th measurement batch (1-based) blocks after its first token until released or interrupted. */
    PacedBackend blockingInBatch(int n) {
        blockInBatch = n;
        return this;
    }

    boolean busy() {
        return generating.get() > 0;
    }

    @Override
    public BackendInfo info() {
        return new BackendInfo(name, "paced test backend of lem.itest", "lem.itest paced tokens",
                new Capabilities(true, Set.of(BatchingMode.STATIC), Set.of("cpu"), Set.of(Precision.FLOAT32),
                        Set.of(Parallelism.NONE), false, Set.of("synthetic")));
    }

    /**
     * Checks as a real backend would: its models are named {@code paced-*}, its one option
     * {@code threads} is a positive integer, it has no tokenizer and {@value #MAX_SEQUENCE_TOKENS} positions.
     */
    @Override
    public ValidationReport validate(ModelSpec model, BackendSettings settings) {
        List<ValidationFinding> findings = new ArrayList<>();
        if (!model.name().startsWith("paced-")) {
            findings.add(new ValidationFinding(ValidationFinding.Severity.ERROR, ValidationFinding.Setting.MODEL, "",
                    "model '" + model.name() + "' is not one of " + name + "'s: paced-tiny", List.of("paced-tiny")));
        }
        settings.options().forEach((key, value) -> {
            if (!key.equals("threads")) {
                findings.add(ValidationFinding.optionError(key, "option '" + key + "' is unknown; allowed: threads",
                        List.of("threads")));
            } else if (!(value instanceof Long n) || n < 1) {
                findings.add(ValidationFinding.optionError(key, "threads = " + value + " must be a positive integer",
                        List.of()));
            }
        });
        return new ValidationReport(findings, MAX_SEQUENCE_TOKENS, false);
    }

    @Override
    public LoadedModel open(ModelSpec model, BackendSettings settings) throws BackendException {
        if (!"synthetic".equals(model.source())) {
            throw new BackendException(name + " only opens synthetic models, not " + model.source());
        }
        ModelDescription description = new ModelDescription(model.name(), "llama", 1_000_000L, Precision.FLOAT32,
                Precision.FLOAT32, "none", Map.of("model_type", "llama", "vocab_size", VOCABULARY_SIZE));
        return new LoadedModel() {
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
                int batch = requests.get(0).id().startsWith("warmup-") ? 0 : measurementBatches.incrementAndGet();
                generating.incrementAndGet();
                try {
                    return generateAll(batch, requests, decode, listener);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BackendException("generation interrupted");
                } finally {
                    generating.decrementAndGet();
                }
            }

            @Override
            public void close() {
            }
        };
    }

    private GenerationResult generateAll(int batch, List<GenerationRequest> requests, DecodeSettings decode,
            GenerationListener listener) throws InterruptedException, BackendException {
        long startNanos = System.nanoTime();
        List<RequestResult> results = new ArrayList<>();
        for (GenerationRequest request : requests) {
            long wait = startNanos + request.arrivalOffsetNanos() - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            long requestStart = System.nanoTime();
            listener.requestStarted(request.id(), requestStart);
            long firstToken = 0;
            long last = requestStart;
            for (int i = 0; i < decode.maxNewTokens(); i++) {
                TimeUnit.NANOSECONDS.sleep(tokenGapNanos);
                last = System.nanoTime();
                if (i == 0) {
                    firstToken = last;
                }
                listener.tokens(new TokenEvent(request.id(), i, 1, last));
                tokensReported.incrementAndGet();
                if (batch > 0 && batch == blockInBatch && i == 0 && results.isEmpty()) {
                    blocked.countDown();
                    if (!release.await(30, TimeUnit.SECONDS)) {
                        throw new BackendException("blocked generation was never released");
                    }
                }
            }
            RequestResult result = new RequestResult(request.id(), requestStart, firstToken, last,
                    request.prompt().tokenIds().size(), decode.maxNewTokens(), "length", null);
            listener.requestFinished(result);
            results.add(result);
            if (batch > 0 && batch == failInBatch) {
                throw new BackendException("simulated device fault in measurement batch " + batch);
            }
        }
        return new GenerationResult(results, null, -1, Map.of());
    }
}
