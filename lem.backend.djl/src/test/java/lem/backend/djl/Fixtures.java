package lem.backend.djl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import lem.api.backend.BackendSettings;
import lem.api.backend.BatchingMode;
import lem.api.backend.DecodeSettings;
import lem.api.backend.GenerationListener;
import lem.api.backend.GenerationRequest;
import lem.api.backend.Prompt;
import lem.api.backend.RequestResult;
import lem.api.backend.TokenEvent;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;

/** Shared test inputs: a backend with the test native cache, seeded prompts, a recording listener. */
final class Fixtures {

    private Fixtures() {
    }

    static DjlBackend backend() {
        return new DjlBackend(DjlBackend.defaultCacheFolder());
    }

    static ModelSpec synthetic(String preset) {
        return new ModelSpec("synthetic", preset, Precision.FLOAT32, "none", 42, Map.of());
    }

    /** A local Hugging Face folder, in float32. */
    static ModelSpec local(Path folder) {
        return new ModelSpec("local", folder.toString(), Precision.FLOAT32, "none", 0, Map.of());
    }

    static BackendSettings batches(int size) {
        return new BackendSettings("cpu", BatchingMode.STATIC, size, Map.of());
    }

    static DecodeSettings greedy(int newTokens) {
        return new DecodeSettings(0, 0, 1, 1, 7, newTokens, newTokens);
    }

    static List<GenerationRequest> prompts(int count, int length, int vocab, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int r = 0; r < count; r++) {
            List<Integer> ids = new ArrayList<>();
            for (int t = 0; t < length; t++) {
                ids.add(random.nextInt(vocab));
            }
            requests.add(new GenerationRequest("r" + r, Prompt.ofTokens(ids), 0));
        }
        return requests;
    }

    /** Records what a backend reports, as the runtime would. */
    static final class Recorder implements GenerationListener {
        final List<String> started = new CopyOnWriteArrayList<>();
        final List<Long> startNanos = new CopyOnWriteArrayList<>();
        final List<TokenEvent> tokens = new CopyOnWriteArrayList<>();
        final List<RequestResult> finished = new CopyOnWriteArrayList<>();
        /** Generated token ids per request, in the order {@link #tokenIds} gave them. */
        final Map<String, List<Integer>> ids = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public void requestStarted(String requestId, long timestampNanos) {
            started.add(requestId);
            startNanos.add(timestampNanos);
        }

        @Override
        public void tokens(TokenEvent event) {
            tokens.add(event);
        }

        @Override
        public void tokenIds(String requestId, int index, int[] tokenIds) {
            // a request id sent again (a second generate call) starts over
            List<Integer> list = index == 0 ? new CopyOnWriteArrayList<>() : ids.get(requestId);
            if (list == null || list.size() != index) {
                throw new AssertionError("ids of " + requestId + " from index " + index + " out of order");
            }
            ids.put(requestId, list);
            for (int id : tokenIds) {
                list.add(id);
            }
        }

        @Override
        public void requestFinished(RequestResult result) {
            finished.add(result);
        }

        List<TokenEvent> of(String requestId) {
            return tokens.stream().filter(t -> t.requestId().equals(requestId)).toList();
        }
    }
}
