package lem.backend.djl;

import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Formatter;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import lem.api.backend.BackendException;
import lem.api.backend.BackendSettings;
import lem.api.backend.BatchingMode;
import lem.api.backend.DecodeSettings;
import lem.api.backend.GenerationListener;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.LoadedModel;
import lem.api.backend.Prompt;
import lem.api.backend.RequestResult;
import lem.api.backend.TokenEvent;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.backend.djl.onnx.OnnxFixture;

/**
 * Prefill and decode throughput of the synthetic presets on CPU at batch sizes 1, 4 and 16, and the
 * share of wall time lem spends outside the engine. Not a test: run it with
 * {@code mvn -B -q -pl lem.backend.djl -am -Pbench package -DskipTests}, or
 * {@code java -cp <classpath> lem.backend.djl.DjlBenchmark [preset ...]}.
 */
public final class DjlBenchmark {

    static final int PROMPT_TOKENS = 32;
    static final int NEW_TOKENS = 32;
    private static final int REQUESTS = 16;

    private DjlBenchmark() {
    }

    /** One row of the table. */
    record Row(String preset, int batchSize, double prefillTokensPerSecond, double decodeTokensPerSecond,
            double overheadShare, double overheadMicrosPerToken, double wallSeconds) {
    }

    /**
     * Runs the presets; {@code decoders:<preset>} measures the preset on both decoders (ndarray,
     * scripted); {@code onnx:<gpt2 preset>} writes that preset with random weights as a
     * safetensors folder and as an ONNX export (the tests' fixture) and measures both: the DJL decoder
     * and ONNX Runtime on the same model and weights.
     */
    public static void main(String[] args) throws Exception {
        List<String> presets = args.length > 0 ? List.of(args)
                : List.of("gpt2-tiny", "llama-tiny", "qwen2-tiny", "mistral-tiny", "onnx:gpt2-tiny");
        DjlBackend backend = new DjlBackend(DjlBackend.defaultCacheFolder());
        List<Row> rows = new ArrayList<>();
        for (String preset : presets) {
            if (preset.startsWith("onnx:")) {
                String name = preset.substring("onnx:".length());
                Path root = Files.createTempDirectory("lem-onnx-bench");
                OnnxFixture fixture = OnnxFixture.write(root, 1, name, "model.onnx");
                for (int batchSize : new int[] {1, 4, 16}) {
                    rows.add(measure(backend, name + " djl", local(fixture.safetensorsFolder), batchSize));
                    rows.add(measure(backend, name + " onnx", local(fixture.onnxFolder), batchSize));
                }
                continue;
            }
            if (preset.startsWith("decoders:")) {
                // both implementations of the built-in architectures on the same preset and weights
                String name = preset.substring("decoders:".length());
                ModelSpec spec = new ModelSpec("synthetic", name, Precision.FLOAT32, "none", 1, Map.of());
                for (int batchSize : new int[] {1, 4, 16}) {
                    for (String decoder : List.of(DjlBackend.NDARRAY, DjlBackend.SCRIPTED)) {
                        rows.add(measure(backend, name + " " + decoder, spec, batchSize,
                                Map.of(DjlBackend.DECODER_OPTION, decoder)));
                    }
                }
                continue;
            }
            for (int batchSize : new int[] {1, 4, 16}) {
                rows.add(measure(backend, preset, new ModelSpec("synthetic", preset, Precision.FLOAT32, "none", 1,
                        Map.of()), batchSize));
            }
        }
        System.out.println(table(rows));
    }

    private static ModelSpec local(Path folder) {
        return new ModelSpec("local", folder.toString(), Precision.FLOAT32, "none", 1, Map.of());
    }

    static Row measure(DjlBackend backend, String preset, ModelSpec spec, int batchSize) throws BackendException {
        return measure(backend, preset, spec, batchSize, Map.of());
    }

    static Row measure(DjlBackend backend, String preset, ModelSpec spec, int batchSize, Map<String, Object> options)
            throws BackendException {
        BackendSettings settings = new BackendSettings("cpu", BatchingMode.STATIC, batchSize, options);
        DecodeSettings decode = new DecodeSettings(0, 0, 1, 1, 1, NEW_TOKENS, NEW_TOKENS);
        try (LoadedModel model = backend.open(spec, settings)) {
            int vocab = ((Number) model.description().config().get("vocab_size")).intValue();
            List<GenerationRequest> requests = requests(vocab);
            model.generate(requests.subList(0, batchSize), decode, IGNORE); // warm up the engine's kernels
            long beganNanos = System.nanoTime();
            GenerationResult result = model.generate(requests, decode, IGNORE);
            long wallNanos = System.nanoTime() - beganNanos;
            // requests of one batch share their start; prefill ends at the batch's last first token
            Map<Long, long[]> batches = new TreeMap<>();
            long promptTokens = 0;
            long decodeTokens = 0;
            for (RequestResult r : result.requests()) {
                long[] b = batches.computeIfAbsent(r.startNanos(), k -> new long[] {k, 0, 0});
                b[1] = Math.max(b[1], r.firstTokenNanos());
                b[2] = Math.max(b[2], r.endNanos());
                promptTokens += r.inputTokens();
                decodeTokens += r.outputTokens() - 1;
            }
            long prefillNanos = 0;
            long decodeNanos = 0;
            for (long[] b : batches.values()) {
                prefillNanos += b[1] - b[0];
                decodeNanos += b[2] - b[1];
            }
            long engineNanos = Long.parseLong(result.notes().get(DjlModel.ENGINE_TIME_NOTE));
            long outputTokens = decodeTokens + result.requests().size();
            double overheadNanos = wallNanos - engineNanos;
            return new Row(preset, batchSize, promptTokens / (prefillNanos / 1e9), decodeTokens / (decodeNanos / 1e9),
                    overheadNanos / wallNanos, overheadNanos / outputTokens / 1e3, wallNanos / 1e9);
        }
    }

    /** 16 requests of 32 random prompt tokens, the same in every run. */
    static List<GenerationRequest> requests(int vocab) {
        SplittableRandom random = new SplittableRandom(17);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int r = 0; r < REQUESTS; r++) {
            List<Integer> ids = new ArrayList<>();
            for (int t = 0; t < PROMPT_TOKENS; t++) {
                ids.add(random.nextInt(vocab));
            }
            requests.add(new GenerationRequest("bench-" + r, Prompt.ofTokens(ids), 0));
        }
        return requests;
    }

    static String table(List<Row> rows) {
        Formatter out = new Formatter();
        out.format("DJL backend on CPU (%d cores, %d torch threads): %d requests x %d prompt tokens x %d new tokens,"
                + " float32, greedy%n", Runtime.getRuntime().availableProcessors(), JniUtils.getNumThreads(), REQUESTS,
                PROMPT_TOKENS, NEW_TOKENS);
        out.format("%-14s %5s %14s %14s %10s %14s %8s%n", "preset", "batch", "prefill tok/s", "decode tok/s",
                "lem share", "lem us/token", "wall s");
        for (Row r : rows) {
            out.format("%-14s %5d %14.0f %14.0f %9.1f%% %14.1f %8.2f%n", r.preset(), r.batchSize(),
                    r.prefillTokensPerSecond(), r.decodeTokensPerSecond(), 100 * r.overheadShare(),
                    r.overheadMicrosPerToken(), r.wallSeconds());
        }
        out.format("'<preset> djl' and '<preset> onnx': the same model and random weights, as a safetensors folder on"
                + " the DJL decoder and as the tests' hand-written ONNX export on ONNX Runtime (default threads)%n");
        out.format("lem share: wall time of generate() outside forward passes (batching, sampling on the host,"
                + " listener calls), per output token in us%n");
        return out.toString();
    }

    static final GenerationListener IGNORE = new GenerationListener() {
        @Override
        public void requestStarted(String requestId, long timestampNanos) {
            // the benchmark reads the returned results
        }

        @Override
        public void tokens(TokenEvent event) {
            // the benchmark reads the returned results
        }

        @Override
        public void requestFinished(RequestResult result) {
            // the benchmark reads the returned results
        }
    };
}
