package lem.backend.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lem.api.backend.BackendException;
import lem.api.backend.BackendSettings;
import lem.api.backend.BatchingMode;
import lem.api.backend.ExecutedOperations;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.LoadedModel;
import lem.api.backend.RequestResult;
import lem.api.backend.TokenEvent;
import lem.api.backend.ValidationFinding;
import lem.api.backend.ValidationReport;
import lem.api.flops.FlopsEstimate;
import lem.api.flops.RequestShape;
import lem.api.flops.Workload;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.backend.djl.onnx.OnnxFixture;
import lem.flops.strategy.CountedFlopsStrategy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ONNX folder through the whole backend, as {@code lem run} drives it: validation, open, a padded
 * batched generation with timestamps and counted FLOPs that reach lem.flops, and the same greedy
 * tokens as the DJL decoder on the same weights.
 */
class OnnxBackendTest {

    @TempDir
    static Path root;
    private static OnnxFixture fixture;
    private final DjlBackend backend = Fixtures.backend();

    @BeforeAll
    static void writeFixture() throws Exception {
        fixture = OnnxFixture.write(root, 21);
    }

    @Test
    void anOnnxFolderValidatesWithItsPositionsAndTokenizer() {
        ValidationReport report = backend.validate(Fixtures.local(fixture.onnxFolder), Fixtures.batches(2));
        assertFalse(report.hasErrors(), report.toString());
        assertEquals(512, report.maxSequenceTokens());
        assertTrue(report.textPrompts());
    }

    @Test
    void generationMatchesTheDjlDecoderAndReportsTimingsAndCountedFlops() throws Exception {
        List<GenerationRequest> requests = new ArrayList<>();
        int[] promptTokens = {7, 3, 5, 9, 4};
        for (int i = 0; i < promptTokens.length; i++) {
            requests.addAll(Fixtures.prompts(1, promptTokens[i], 2048, 100 + i).stream()
                    .map(r -> new GenerationRequest("r" + requests.size(), r.prompt(), 0)).toList());
        }
        int newTokens = 6;
        Fixtures.Recorder onnxEvents = new Fixtures.Recorder();
        try (LoadedModel onnx = backend.open(Fixtures.local(fixture.onnxFolder), Fixtures.batches(2));
                LoadedModel djl = backend.open(Fixtures.local(fixture.safetensorsFolder), Fixtures.batches(2))) {
            assertEquals("gpt2", onnx.description().architecture());
            GenerationResult result = onnx.generate(requests, Fixtures.greedy(newTokens), onnxEvents);
            djl.generate(requests, Fixtures.greedy(newTokens), new Fixtures.Recorder());
            for (GenerationRequest request : requests) {
                int[] expected = ((DjlModel) djl).outputTokens(request.id());
                assertArrayEquals(expected, ((DjlModel) onnx).outputTokens(request.id()), request.id());
            }
            assertEquals(requests.size(), result.requests().size());
            for (RequestResult r : result.requests()) {
                assertEquals(newTokens, r.outputTokens(), r.requestId());
                List<TokenEvent> events = onnxEvents.of(r.requestId());
                assertEquals(newTokens, events.size());
                for (int i = 1; i < events.size(); i++) {
                    assertTrue(events.get(i).timestampNanos() > events.get(i - 1).timestampNanos());
                }
                assertEquals(events.get(0).timestampNanos(), r.firstTokenNanos());
            }
            assertTrue(Long.parseLong(result.notes().get(DjlModel.ENGINE_TIME_NOTE)) > 0);
            assertTrue(result.notes().get("engine").startsWith("ONNX Runtime "), result.notes().toString());

            // hand count: batches {7,3} {5,9} {4} padded to 7, 9 and 4; per token row 24 H^2 per layer
            // (2 layers) plus 2 H V for the LM head; attention 2 x 2 matmuls x 2 x B x 4 heads x T x S x 32
            long h = 128;
            long perRow = 2 * 24 * h * h + 2 * h * 2048;
            long prefill = 0;
            long decode = 0;
            int[][] batches = {{2, 7}, {2, 9}, {1, 4}};
            for (int[] b : batches) {
                prefill += (long) b[0] * b[1] * perRow + 4L * 2 * b[0] * 4 * b[1] * b[1] * 32;
                for (int step = 1; step < newTokens; step++) {
                    decode += (long) b[0] * perRow + 4L * 2 * b[0] * 4 * (b[1] + step) * 32;
                }
            }
            ExecutedOperations executed = result.operations().orElseThrow();
            assertEquals(prefill, executed.prefillFlops(), "prefill");
            assertEquals(decode, executed.decodeFlops(), "decode");
            assertTrue(executed.counts().startsWith("counted by walking the ONNX graph of model.onnx"),
                    executed.counts());

            List<RequestShape> shapes = result.requests().stream()
                    .map(r -> new RequestShape(r.inputTokens(), r.outputTokens())).toList();
            FlopsEstimate counted = new CountedFlopsStrategy().estimate(onnx.description(),
                    new Workload(shapes, result.operations())).estimate().orElseThrow();
            assertEquals(prefill + decode, counted.prefillFlops() + counted.decodeFlops());
            assertTrue(counted.notes().stream().anyMatch(n -> n.contains("walking the ONNX graph")),
                    counted.notes().toString());
        }
    }

    @Test
    void aFolderWithoutConfigOrWithAnInputLemCannotFeedIsRefusedByName() throws Exception {
        Path noConfig = root.resolve("no-config");
        Files.createDirectories(noConfig);
        Files.copy(fixture.onnxFolder.resolve("model.onnx"), noConfig.resolve("model.onnx"));
        ValidationReport report = backend.validate(Fixtures.local(noConfig), Fixtures.batches(1));
        assertTrue(report.hasErrors());
        assertTrue(report.findings().get(0).message().contains("has no config.json"), report.toString());
        BackendException refused = assertThrows(BackendException.class,
                () -> backend.open(Fixtures.local(noConfig), Fixtures.batches(1)));
        assertTrue(refused.getMessage().contains("has no config.json"), refused.getMessage());

        Path cut = root.resolve("cut");
        Files.createDirectories(cut);
        Files.copy(fixture.onnxFolder.resolve("config.json"), cut.resolve("config.json"));
        byte[] model = Files.readAllBytes(fixture.onnxFolder.resolve("model.onnx"));
        Files.write(cut.resolve("decoder_model_merged.onnx"), java.util.Arrays.copyOf(model, model.length / 2));
        ValidationReport cutReport = backend.validate(Fixtures.local(cut), Fixtures.batches(1));
        assertTrue(cutReport.findings().get(0).message().contains("decoder_model_merged.onnx is not a valid ONNX"
                + " model"), cutReport.toString());
    }

    @Test
    void aMissingExecutionProviderNamesTheKeyAndWhatIsAvailable() {
        BackendSettings cuda = new BackendSettings("cuda", BatchingMode.STATIC, 1,
                Map.of(DjlBackend.PROVIDER_OPTION, "cuda"));
        ValidationReport report = backend.validate(Fixtures.local(fixture.onnxFolder), cuda);
        ValidationFinding finding = report.findings().stream()
                .filter(f -> f.message().contains(DjlBackend.PROVIDER_OPTION)).findFirst().orElseThrow();
        assertTrue(finding.message().contains("no cuda execution provider; available: [cpu"), finding.message());
        BackendException refused = assertThrows(BackendException.class,
                () -> backend.open(Fixtures.local(fixture.onnxFolder), cuda));
        assertTrue(refused.getMessage().contains("backend.settings.execution_provider = cuda"), refused.getMessage());

        BackendSettings typo = new BackendSettings("cpu", BatchingMode.STATIC, 1,
                Map.of(DjlBackend.PROVIDER_OPTION, "cuda12"));
        assertTrue(backend.validate(Fixtures.local(fixture.onnxFolder), typo).findings().stream()
                .anyMatch(f -> f.message().contains("cuda12 is unknown; allowed: [cpu, cuda, tensorrt]")));
        ValidationReport tpu = backend.validate(Fixtures.local(fixture.onnxFolder),
                new BackendSettings("tpu", BatchingMode.STATIC, 1, Map.of()));
        assertTrue(tpu.findings().stream().anyMatch(f -> f.message().contains("device 'tpu' is not valid")),
                tpu.toString());
        ValidationReport notOnnx = backend.validate(Fixtures.synthetic("gpt2-tiny"), new BackendSettings("cpu",
                BatchingMode.STATIC, 1, Map.of(DjlBackend.PROVIDER_OPTION, "cpu")));
        assertTrue(notOnnx.findings().stream().anyMatch(f -> f.message().contains("applies to ONNX models only")),
                notOnnx.toString());
    }

    @Test
    void aPrecisionOtherThanTheExportsIsRefused() {
        ModelSpec half = new ModelSpec("local", fixture.onnxFolder.toString(), Precision.FLOAT16, "none", 0, Map.of());
        ValidationReport report = backend.validate(half, Fixtures.batches(1));
        assertTrue(report.findings().stream().anyMatch(f -> f.message().contains("exported in float32")),
                report.toString());
    }
}
