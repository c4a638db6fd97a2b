package lem.backend.djl;

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.util.cuda.CudaUtils;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lem.api.backend.BackendException;
import lem.api.backend.BackendSettings;
import lem.api.backend.BatchingMode;
import lem.api.backend.DecodeSettings;
import lem.api.backend.ExecutedOperations;
import lem.api.backend.GenerationListener;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.LoadedModel;
import lem.api.backend.Prompt;
import lem.api.backend.RequestResult;
import lem.api.backend.TokenEvent;
import lem.api.model.ModelDescription;
import lem.backend.djl.transformer.Decoder;
import lem.backend.djl.transformer.KvCache;
import lem.backend.djl.transformer.ModelWeights;
import lem.backend.djl.transformer.OperationCount;
import lem.backend.djl.transformer.TransformerConfig;

/**
 * A model opened by the DJL backend: generates with static or length-sorted static batches, left
 * padding and a KV cache, and reports each token when its id is on the host.
 */
final class DjlModel implements LoadedModel {

    static final String COUNTS = "executed matmuls, 2 FLOPs per multiply-add: every linear projection (attention"
            + " q/k/v/o or GPT-2 c_attn/c_proj, MLP, and the LM head on the last position of each row in prefill"
            + " and on the one new token per decode step) and attention scores (QK^T) and scores x V per head over"
            + " the full key length computed, cached plus new; padding positions of a batch and rows that already"
            + " finished but stay in their static batch are included because they execute; not counted: bias"
            + " adds, norms, activations, softmax, RoPE, residual adds, embedding lookups";

    private final ModelDescription description;
    private final TransformerConfig config;
    private final ModelWeights weights;
    private final Decoder decoder;
    private final NDManager manager;
    private final Device device;
    private final BackendSettings settings;
    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, String> openNotes;
    private volatile boolean closed;

    DjlModel(ModelDescription description, TransformerConfig config, ModelWeights weights, Decoder decoder,
            NDManager manager, Device device, BackendSettings settings, HuggingFaceTokenizer tokenizer,
            Map<String, String> openNotes) {
        this.description = description;
        this.config = config;
        this.weights = weights;
        this.decoder = decoder;
        this.manager = manager;
        this.device = device;
        this.settings = settings;
        this.tokenizer = tokenizer;
        this.openNotes = Map.copyOf(openNotes);
    }

    @Override
    public ModelDescription description() {
        return description;
    }

    @Override
    public Set<String> deviceIds() {
        // DJL knows CUDA ordinals, not GPU UUIDs; the runtime maps "cuda:N" through NVML
        return device.isGpu() ? Set.of("cuda:" + device.getDeviceId()) : Set.of();
    }

    @Override
    public synchronized GenerationResult generate(List<GenerationRequest> requests, DecodeSettings decode,
            GenerationListener listener) throws BackendException {
        long callStartNanos = System.nanoTime();
        if (closed) {
            throw new BackendException("the model " + description.name() + " is closed");
        }
        int[][] prompts = encode(requests, decode);
        List<List<Integer>> batches = plan(requests, prompts);
        RequestResult[] results = new RequestResult[requests.size()];
        OperationCount prefill = new OperationCount();
        OperationCount decodeCount = new OperationCount();
        long[] peakBytes = {-1};
        try (BundleClassLoaderScope scope = BundleClassLoaderScope.enter()) {
            for (List<Integer> batch : batches) {
                long dueNanos = 0;
                for (int i : batch) {
                    dueNanos = Math.max(dueNanos, requests.get(i).arrivalOffsetNanos());
                }
                waitUntil(callStartNanos + dueNanos);
                runBatch(batch, requests, prompts, decode, listener, results, prefill, decodeCount, peakBytes);
            }
        }
        Map<String, String> notes = new LinkedHashMap<>(openNotes);
        if (device.isGpu()) {
            notes.put("peak_memory", "device-wide used memory (cudaMemGetInfo) sampled after every forward pass;"
                    + " includes other processes on the GPU");
        } else {
            notes.put("peak_memory", "not measured on cpu: the weights and KV cache live in native memory that"
                    + " the JVM does not account");
        }
        return new GenerationResult(List.of(results),
                java.util.Optional.of(new ExecutedOperations(prefill.totalFlops(), decodeCount.totalFlops(), COUNTS)),
                peakBytes[0], notes);
    }

    private int[][] encode(List<GenerationRequest> requests, DecodeSettings decode) throws BackendException {
        int[][] prompts = new int[requests.size()][];
        for (int r = 0; r < requests.size(); r++) {
            GenerationRequest request = requests.get(r);
            Prompt prompt = request.prompt();
            int[] ids;
            if (!prompt.tokenIds().isEmpty()) {
                ids = prompt.tokenIds().stream().mapToInt(Integer::intValue).toArray();
            } else if (tokenizer != null) {
                try (BundleClassLoaderScope scope = BundleClassLoaderScope.enter()) {
                    long[] encoded = tokenizer.encode(prompt.text()).getIds();
                    ids = new int[encoded.length];
                    for (int i = 0; i < encoded.length; i++) {
                        ids[i] = (int) encoded[i];
                    }
                }
            } else {
                throw new BackendException("request " + request.id() + " has a text prompt, but the model "
                        + description.name() + " has no tokenizer (a synthetic model, or no usable tokenizer.json);"
                        + " give the prompt as token ids");
            }
            if (ids.length == 0) {
                throw new BackendException("request " + request.id() + ": the prompt has no tokens");
            }
            for (int id : ids) {
                if (id < 0 || id >= config.vocabSize()) {
                    throw new BackendException("request " + request.id() + ": token id " + id
                            + " is outside the vocabulary [0, " + config.vocabSize() + ")");
                }
            }
            int needed = ids.length + decode.maxNewTokens();
            if (needed > config.maxPositions()) {
                throw new BackendException("request " + request.id() + ": " + ids.length + " prompt tokens + "
                        + decode.maxNewTokens() + " new tokens = " + needed + " exceed the model's "
                        + config.maxPositions() + " positions");
            }
            prompts[r] = ids;
        }
        return prompts;
    }

    /** Batches of request indices, in the order they run. */
    private List<List<Integer>> plan(List<GenerationRequest> requests, int[][] prompts) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            order.add(i);
        }
        Comparator<Integer> byArrival = Comparator.comparingLong(i -> requests.get(i).arrivalOffsetNanos());
        if (settings.batching() == BatchingMode.SORTED_STATIC) {
            order.sort(Comparator.<Integer>comparingInt(i -> prompts[i].length).thenComparing(byArrival)
                    .thenComparingInt(i -> i));
        } else {
            order.sort(byArrival.thenComparingInt(i -> i));
        }
        List<List<Integer>> batches = new ArrayList<>();
        for (int start = 0; start < order.size(); start += settings.batchSize()) {
            batches.add(order.subList(start, Math.min(order.size(), start + settings.batchSize())));
        }
        batches.sort(Comparator.comparingLong(b -> b.stream()
                .mapToLong(i -> requests.get(i).arrivalOffsetNanos()).max().orElse(0)));
        return batches;
    }

    private static void waitUntil(long deadlineNanos) throws BackendException {
        long remaining;
        while ((remaining = deadlineNanos - System.nanoTime()) > 0) {
            try {
                Thread.sleep(remaining / 1_000_000, (int) (remaining % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendException("generation interrupted while waiting for requests to arrive", e);
            }
        }
    }

    private void runBatch(List<Integer> batch, List<GenerationRequest> requests, int[][] prompts,
            DecodeSettings decode, GenerationListener listener, RequestResult[] results, OperationCount prefill,
            OperationCount decodeCount, long[] peakBytes) throws BackendException {
        int rows = batch.size();
        int longest = 0;
        for (int i : batch) {
            longest = Math.max(longest, prompts[i].length);
        }
        int maxNew = decode.maxNewTokens();
        long[][] ids = new long[rows][longest];
        int[][] positions = new int[rows][longest];
        boolean[][] keyValid = new boolean[rows][longest + maxNew];
        TokenSampler[] samplers = new TokenSampler[rows];
        for (int b = 0; b < rows; b++) {
            int r = batch.get(b);
            int[] prompt = prompts[r];
            int padding = longest - prompt.length;
            samplers[b] = new TokenSampler(decode, decode.seed() * 1_000_003L + r, config.vocabSize());
            for (int t = 0; t < longest; t++) {
                boolean real = t >= padding;
                ids[b][t] = real ? prompt[t - padding] : 0;
                positions[b][t] = real ? t - padding : 0;
                keyValid[b][t] = real;
                if (real) {
                    samplers[b].observe(prompt[t - padding]);
                }
            }
        }
        long startNanos = System.nanoTime();
        for (int r : batch) {
            listener.requestStarted(requests.get(r).id(), startNanos);
        }
        int[] generated = new int[rows];
        long[] firstNanos = new long[rows];
        long[] lastNanos = new long[rows];
        boolean[] done = new boolean[rows];
        long[] lastToken = new long[rows];
        int active = rows;
        try (KvCache cache = new KvCache(config.layers())) {
            int step = 0;
            while (active > 0) {
                if (Thread.interrupted()) {
                    failUnfinished(batch, requests, prompts, generated, firstNanos, done, startNanos, listener,
                            results);
                    throw new BackendException("generation interrupted; " + active
                            + " requests of the running batch did not finish");
                }
                float[] logits;
                try {
                    if (step == 0) {
                        logits = pass(ids, positions, keyValid, cache, prefill);
                    } else {
                        long[][] next = new long[rows][1];
                        int[][] nextPositions = new int[rows][1];
                        for (int b = 0; b < rows; b++) {
                            next[b][0] = lastToken[b];
                            nextPositions[b][0] = prompts[batch.get(b)].length + step - 1;
                            keyValid[b][longest + step - 1] = true;
                        }
                        logits = pass(next, nextPositions, sliceColumns(keyValid, longest + step), cache,
                                decodeCount);
                    }
                } catch (RuntimeException e) {
                    failUnfinished(batch, requests, prompts, generated, firstNanos, done, startNanos, listener,
                            results);
                    throw new BackendException("the engine failed during generation: " + e.getMessage(), e);
                }
                if (device.isGpu()) {
                    peakBytes[0] = Math.max(peakBytes[0], CudaUtils.getGpuMemory(device).getUsed());
                }
                for (int b = 0; b < rows; b++) {
                    if (done[b]) {
                        continue;
                    }
                    int token = samplers[b].next(logits, b * config.vocabSize());
                    // the token id is on the host now: this is the instant it exists
                    long nowNanos = System.nanoTime();
                    samplers[b].observe(token);
                    lastToken[b] = token;
                    String id = requests.get(batch.get(b)).id();
                    listener.tokens(new TokenEvent(id, generated[b], 1, nowNanos));
                    if (generated[b] == 0) {
                        firstNanos[b] = nowNanos;
                    }
                    lastNanos[b] = nowNanos;
                    generated[b]++;
                    boolean stop = generated[b] >= decode.minNewTokens() && config.eosTokenIds().contains(token);
                    if (stop || generated[b] >= maxNew) {
                        done[b] = true;
                        active--;
                        int r = batch.get(b);
                        results[r] = new RequestResult(id, startNanos, firstNanos[b], lastNanos[b],
                                prompts[r].length, generated[b], stop ? "stop" : "length", null);
                        listener.requestFinished(results[r]);
                    }
                } 
                step++;
            }
        }
    }

    private float[] pass(long[][] ids, int[][] positions, boolean[][] keyValid, KvCache cache,
            OperationCount count) {
        NDArray logits = decoder.forward(manager, ids, positions, keyValid, cache, count);
        try {
            // copying to the host waits for the device: the sync point before any timestamp
            return logits.toFloatArray();
        } finally {
            logits.close();
        }
    }

    private static boolean[][] sliceColumns(boolean[][] full, int width) {
        boolean[][] out = new boolean[full.length][];
        for (int b = 0; b < full.length; b++) {
            out[b] = java.util.Arrays.copyOf(full[b], width);
        }
        return out;
    }

    private static void failUnfinished(List<Integer> batch, List<GenerationRequest> requests, int[][] prompts,
            int[] generated, long[] firstNanos, boolean[] done, long startNanos, GenerationListener listener,
            RequestResult[] results) {
        long nowNanos = System.nanoTime();
        for (int b = 0; b < batch.size(); b++) {
            if (!done[b]) {
                int r = batch.get(b);
                results[r] = new RequestResult(requests.get(r).id(), startNanos, firstNanos[b], nowNanos,
                        prompts[r].length, generated[b], "error", "generation stopped before the request finished");
                listener.requestFinished(results[r]);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (BundleClassLoaderScope scope = BundleClassLoaderScope.enter()) {
            weights.close();
            manager.close();
            if (tokenizer != null) {
                tokenizer.close();
            }
        }
    }
}
