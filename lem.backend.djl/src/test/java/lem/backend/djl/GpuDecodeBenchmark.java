package lem.backend.djl;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import lem.api.backend.BackendException;
import lem.api.backend.BackendSettings;
import lem.api.backend.BatchingMode;
import lem.api.backend.DecodeSettings;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.LoadedModel;
import lem.api.backend.RequestResult;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;

/**
 * Decode milliseconds per step of one model at several batch sizes, through the backend's own
 * {@code generate} (the logits copied to the host every step, as in a measured run). Not a test:
 * the GPU machine runs it ({@code lem.backend.djl/device/gpu_bench.sh}), one process per model and
 * precision so that a native abort loses only its own lines:
 * {@code java -cp <classpath> lem.backend.djl.GpuDecodeBenchmark cuda float16 <preset|config.json> 1,4,16}.
 * Each batch size runs warm-up batches (at least 3 and 2 s), then {@value #REPEATS} measured batches of that many
 * requests ({@value #PROMPT_TOKENS} prompt tokens, {@value #NEW_TOKENS} new tokens, greedy); it
 * prints one {@code RESULT} line per batch size with the median.
 */
public final class GpuDecodeBenchmark {

    static final int PROMPT_TOKENS = DjlBenchmark.PROMPT_TOKENS;
    static final int NEW_TOKENS = DjlBenchmark.NEW_TOKENS;
    static final int REPEATS = 5;

    private GpuDecodeBenchmark() {
    }

    public static void main(String[] args) throws BackendException {
        if (args.length != 4) {
            System.err.println("usage: GpuDecodeBenchmark <device> <float32|float16|bfloat16> <preset|config.json>"
                    + " <batch sizes, e.g. 1,4,16>");
            System.exit(2);
        }
        String device = args[0];
        Precision precision = Arrays.stream(Precision.values()).filter(p -> p.configName().equals(args[1]))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("unknown precision " + args[1]));
        String model = args[2];
        int[] batchSizes = Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray();
        DjlBackend backend = new DjlBackend(DjlBackend.defaultCacheFolder());
        ModelSpec spec = new ModelSpec("synthetic", model, precision, "none", 1, Map.of());
        long openBegan = System.nanoTime();
        int largest = Arrays.stream(batchSizes).max().orElse(1);
        // -Dlem.bench.decoder=scripted|ndarray (default: the backend's choice)
        String decoder = System.getProperty("lem.bench.decoder");
        Map<String, Object> options = decoder == null ? Map.of() : Map.of("decoder", decoder);
        try (LoadedModel loaded = backend.open(spec, new BackendSettings(device, BatchingMode.STATIC, largest,
                options))) {
            System.out.printf("opened %s %s on %s in %.1f s (%,d parameters)%n", model, args[1], device,
                    (System.nanoTime() - openBegan) / 1e9, loaded.description().parameterCount());
            int vocab = ((Number) loaded.description().config().get("vocab_size")).intValue();
            DecodeSettings decode = new DecodeSettings(0, 0, 1, 1, 1, NEW_TOKENS, NEW_TOKENS);
            for (int batch : batchSizes) {
                List<GenerationRequest> requests = DjlBenchmark.requests(vocab).subList(0, batch);
                // warm-up: kernels, the allocator and the JIT (at least 3 batches and 2 s)
                long warmBegan = System.nanoTime();
                for (int w = 0; w < 3 || System.nanoTime() - warmBegan < 2_000_000_000L; w++) {
                    loaded.generate(requests, decode, DjlBenchmark.IGNORE);
                }
                String profile = System.getProperty("lem.bench.profile");
                if (profile != null && batch == batchSizes[0]) {
                    // PyTorch's profiler over one batch: a Chrome trace of every op's CPU and CUDA time
                    ai.djl.pytorch.jni.JniUtils.startProfile(true, false, false);
                    loaded.generate(requests, decode, DjlBenchmark.IGNORE);
                    ai.djl.pytorch.jni.JniUtils.stopProfile(profile);
                }
                double[] decodeMillis = new double[REPEATS];
                double[] prefillMillis = new double[REPEATS];
                double[] engineShare = new double[REPEATS];
                long peakBytes = -1;
                GenerationResult last = null;
                for (int r = 0; r < REPEATS; r++) {
                    long began = System.nanoTime();
                    GenerationResult result = loaded.generate(requests, decode, DjlBenchmark.IGNORE);
                    last = result;
                    long wall = System.nanoTime() - began;
                    long start = Long.MAX_VALUE;
                    long first = 0;
                    long end = 0;
                    for (RequestResult q : result.requests()) {
                        start = Math.min(start, q.startNanos());
                        first = Math.max(first, q.firstTokenNanos());
                        end = Math.max(end, q.endNanos());
                    }
                    prefillMillis[r] = (first - start) / 1e6;
                    decodeMillis[r] = (end - first) / 1e6 / (NEW_TOKENS - 1);
                    peakBytes = Math.max(peakBytes, result.peakDeviceMemoryBytes());
                    engineShare[r] = Long.parseLong(result.notes().get(DjlModel.ENGINE_TIME_NOTE)) / (double) wall;
                }
                System.out.printf("RESULT engine=djl decoder=%s model=%s precision=%s batch=%d prefill_ms=%.2f"
                        + " decode_ms_per_step=%.2f engine_share=%.3f peak_gpu_bytes=%d first_tokens=%s%n",
                        last.notes().get("decoder").split(":")[0], name(model), args[1], batch,
                        median(prefillMillis), median(decodeMillis), median(engineShare), peakBytes,
                        firstTokens(loaded, last));
            }
        }
    }

    /** The first 8 token ids generated for the first request (greedy: comparable across precisions). */
    private static String firstTokens(LoadedModel loaded, GenerationResult result) {
        int[] tokens = ((DjlModel) loaded).outputTokens(result.requests().get(0).requestId());
        return Arrays.toString(Arrays.copyOf(tokens, Math.min(8, tokens.length))).replace(" ", "");
    }

    private static String name(String model) {
        String file = model.replace('\\', '/');
        file = file.substring(file.lastIndexOf('/') + 1);
        return file.endsWith(".json") ? file.substring(0, file.length() - 5) : file;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

}
