package lem.runtime.run;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import java.util.function.IntToLongFunction;

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
import lem.api.backend.LoadedModel;
import lem.api.backend.Parallelism;
import lem.api.backend.RequestResult;
import lem.api.backend.SequenceScorer;
import lem.api.backend.TokenEvent;
import lem.api.model.ModelDescription;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;

/**
 * Stands in for an inference engine: requests run one after another, and each token appears at a
 * time the test chose (first token {@code ttftNanos} after the request starts, then one every
 * {@code itlNanos}); the backend waits until that time has passed and reports exactly it. It can
 * fail a measurement call after some requests, or block in one until interrupted.
 */
final class ScriptedBackend implements InferenceBackend {
    static final String NAME = "scripted";
    static final int VOCABULARY = 1000;

    long ttftNanos = 3_000_000L;
    /** Says each request arrived as it starts, as a closed-loop client does (GenerationListener.requestArrived). */
    boolean reportsArrival;
    long itlNanos = 2_000_000L;
    /** Extra time before the first token of the i-th warmup request (0-based). */
    IntToLongFunction warmupExtraNanos = i -> 0;
    /** Extra time between the tokens of the i-th warmup request (0-based). */
    IntToLongFunction warmupExtraItlNanos = i -> 0;
    /** Called at the start of each warmup generate call, with its number (1-based). */
    IntConsumer onWarmupCall = n -> { };
    /** The measurement call (1-based, warmup calls not counted) that fails, or 0 for none. */
    int failOnCall;
    /** Requests that finish in the failing call before it throws. */
    int failAfterRequests;
    /** The measurement call (1-based) that blocks until its thread is interrupted, or 0 for none. */
    int blockOnCall;
    /** The measurement call (1-based) that throws {@link #error}, or 0 for none. */
    int errorOnCall;
    /** What that call throws: the JVM's own errors (out of memory) reach a run this way. */
    Error error;
    final CountDownLatch blocking = new CountDownLatch(1);
    /** When true, its models are {@link SequenceScorer}s: see {@link #logProbability}. */
    boolean scores;
    /** The positions of a scoring model. */
    int scoringPositions = 64;
    /** Every sequence scored, with the {@link System#nanoTime()} of its call. */
    final List<int[]> scored = Collections.synchronizedList(new ArrayList<>());
    final List<Long> scoreCallNanos = Collections.synchronizedList(new ArrayList<>());

    /** Request ids of every generate call, warmup included, in order. */
    final List<List<String>> calls = Collections.synchronizedList(new ArrayList<>());
    volatile int opened;
    volatile int closed;
    /** The results folder the runtime gave the last open, or null when it was opened without one. */
    volatile Path resultsFolder;
    private int measurementCalls;

    @Override
    public BackendInfo info() {
        return new BackendInfo(NAME, "test backend with scripted token times", "scripted 1.0",
                new Capabilities(true, EnumSet.allOf(BatchingMode.class), Set.of("cpu"), Set.of(Precision.FLOAT32),
                        Set.of(Parallelism.NONE), false, Set.of("synthetic")));
    }

    @Override
    public LoadedModel open(ModelSpec model, BackendSettings settings, Path resultsFolder) throws BackendException {
        this.resultsFolder = resultsFolder;
        return open(model, settings);
    }

    @Override
    public LoadedModel open(ModelSpec model, BackendSettings settings) throws BackendException {
        opened++;
        ModelDescription description = new ModelDescription(model.name(), "gpt2", 1_000_000L, Precision.FLOAT32,
                Precision.FLOAT32, "none", Map.of("vocab_size", VOCABULARY));
        return scores ? new ScoringModel(description) : new Model(description);
    }

    /** A model of this backend: generation as scripted. */
    private class Model implements LoadedModel {
        private final ModelDescription description;

        Model(ModelDescription description) {
            this.description = description;
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
            return ScriptedBackend.this.generate(requests, decode, listener);
        }

        @Override
        public void close() {
            closed++;
        }
    }

    /** The scripted log-probability of a token: it depends on the token alone, so a test can sum it. */
    static double logProbability(int token) {
        return -0.5 * (1 + token % 5);
    }

    /** The id of output token {@code index}, as {@link GenerationListener#tokenIds} reports it. */
    static int outputToken(int index) {
        return (index * 7 + 3) % VOCABULARY;
    }

    /** A model that scores: words "w&lt;id&gt;" are tokens, and every token has its scripted log-probability. */
    private final class ScoringModel extends Model implements SequenceScorer {
        ScoringModel(ModelDescription description) {
            super(description);
        }

        @Override
        public int[] encode(String text) {
            return java.util.Arrays.stream(text.trim().split("\\s+")).mapToInt(w -> Integer.parseInt(w.substring(1)))
                    .toArray();
        }

        @Override
        public int maxSequenceTokens() {
            return scoringPositions;
        }

        @Override
        public List<double[]> logProbabilities(List<int[]> sequences) throws BackendException {
            scoreCallNanos.add(System.nanoTime());
            List<double[]> out = new ArrayList<>();
            for (int[] sequence : sequences) {
                if (sequence.length > scoringPositions) {
                    throw new BackendException(sequence.length + " tokens exceed " + scoringPositions + " positions");
                }
                scored.add(sequence);
                double[] values = new double[sequence.length - 1];
                for (int t = 0; t < values.length; t++) {
                    values[t] = logProbability(sequence[t + 1]);
                }
                out.add(values);
            }
            return out;
        }
    }

    List<List<String>> warmupCalls() {
        synchronized (calls) {
            return calls.stream().filter(c -> c.get(0).startsWith("warmup-")).toList();
        }
    }

    List<List<String>> measurementCalls() {
        synchronized (calls) {
            return calls.stream().filter(c -> !c.get(0).startsWith("warmup-")).toList();
        }
    }

    private GenerationResult generate(List<GenerationRequest> requests, DecodeSettings decode,
            GenerationListener listener) throws BackendException {
        List<String> ids = requests.stream().map(GenerationRequest::id).toList();
        calls.add(ids);
        boolean warmup = ids.get(0).startsWith("warmup-");
        int call = warmup ? 0 : ++measurementCalls;
        if (warmup) {
            onWarmupCall.accept(warmupCalls().size());
        }
        if (call > 0 && call == errorOnCall) {
            throw error;
        }
        if (call > 0 && call == blockOnCall) {
            blocking.countDown();
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                // the usual idiom: keep the interrupt for the caller, report the stop
                Thread.currentThread().interrupt();
                throw new BackendException("generation interrupted");
            }
        }
        List<RequestResult> results = new ArrayList<>();
        for (GenerationRequest request : requests) {
            if (call > 0 && call == failOnCall && results.size() == failAfterRequests) {
                throw new BackendException("device lost after " + failAfterRequests + " request(s)");
            }
            int warmupIndex = warmup ? Integer.parseInt(request.id().substring(7)) : -1;
            long extra = warmup ? warmupExtraNanos.applyAsLong(warmupIndex) : 0;
            long extraItl = warmup ? warmupExtraItlNanos.applyAsLong(warmupIndex) : 0;
            results.add(run(request, decode.maxNewTokens(), ttftNanos + extra, itlNanos + extraItl, listener));
        }
        return new GenerationResult(results, null, 64L << 20, Map.of("engine_time", "scripted"));
    }

    private RequestResult run(GenerationRequest request, int outputTokens, long ttft, long itl,
            GenerationListener listener) {
        long start = System.nanoTime();
        if (reportsArrival) {
            listener.requestArrived(request.id(), start);
        }
        listener.requestStarted(request.id(), start);
        long at = start;
        for (int i = 0; i < outputTokens; i++) {
            at = start + ttft + i * itl;
            waitUntil(at);
            listener.tokens(new TokenEvent(request.id(), i, 1, at));
            listener.tokenIds(request.id(), i, new int[] {outputToken(i)});
        }
        int input = request.prompt().tokenIds().isEmpty() ? request.prompt().text().split("\\s+").length
                : request.prompt().tokenIds().size();
        RequestResult result = new RequestResult(request.id(), start, start + ttft, at, input, outputTokens, "length",
                null);
        listener.requestFinished(result);
        return result;
    }

    private static void waitUntil(long nanos) {
        for (long left = nanos - System.nanoTime(); left > 0; left = nanos - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }
}
