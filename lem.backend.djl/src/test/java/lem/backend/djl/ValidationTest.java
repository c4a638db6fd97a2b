package lem.backend.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lem.api.backend.BackendSettings;
import lem.api.backend.BatchingMode;
import lem.api.backend.ValidationFinding;
import lem.api.backend.ValidationFinding.Setting;
import lem.api.backend.ValidationFinding.Severity;
import lem.api.backend.ValidationReport;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.backend.djl.transformer.TinyCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the djl backend finds wrong before anything runs: the runtime asks it when a config is
 * validated, so that a config that cannot run is refused instead of failing after its folder was made.
 */
class ValidationTest {

    private final DjlBackend backend = Fixtures.backend();

    @TempDir
    Path folder;

    private static ValidationFinding only(ValidationReport report) {
        assertEquals(1, report.findings().size(), report.findings().toString());
        return report.findings().get(0);
    }

    @Test
    void aValidLocalFolderHasNoFindingAndTellsItsPositionsAndTokenizer() throws Exception {
        TinyCheckpoint.random(TinyCheckpoint.llamaConfig("llama"), 5).write(folder);
        ValidationReport withoutTokenizer = backend.validate(Fixtures.local(folder), Fixtures.batches(1));
        assertEquals(List.of(), withoutTokenizer.findings());
        assertFalse(withoutTokenizer.textPrompts(), "no tokenizer.json: token ids only");
        assertEquals(TinyCheckpoint.llamaConfig("llama").get("max_position_embeddings"),
                withoutTokenizer.maxSequenceTokens());

        TinyCheckpoint.writeWordLevelTokenizer(folder, 64);
        assertTrue(backend.validate(Fixtures.local(folder), Fixtures.batches(1)).textPrompts());
    }

    @Test
    void aPresetTellsItsPositionsAndTakesNoText() {
        ValidationReport report = backend.validate(Fixtures.synthetic("gpt2-tiny"), Fixtures.batches(1));
        assertEquals(List.of(), report.findings());
        assertEquals(512, report.maxSequenceTokens());
        assertFalse(report.textPrompts());
    }

    @Test
    void anUnknownPresetIsAModelErrorListingThePresetsToSuggestFrom() {
        for (String name : List.of("nosuch-tiny", "gpt2small")) {
            ValidationFinding finding = only(backend.validate(Fixtures.synthetic(name), Fixtures.batches(1)));
            assertEquals(Severity.ERROR, finding.severity());
            assertEquals(Setting.MODEL, finding.setting());
            assertTrue(finding.message().contains("'" + name + "' is neither a preset"), finding.message());
            assertTrue(finding.candidates().contains("gpt2-small") && finding.candidates().contains("llama-tiny"),
                    finding.candidates().toString());
        }
    }

    @Test
    void aMissingLocalFolderIsAModelError() {
        Path missing = folder.resolve("no-such-model");
        ValidationFinding finding = only(backend.validate(Fixtures.local(missing), Fixtures.batches(1)));
        assertEquals(Setting.MODEL, finding.setting());
        assertEquals("local model folder " + missing + " does not exist", finding.message());
        assertEquals(List.of(), finding.candidates());
    }

    @Test
    void aTruncatedSafetensorsFileIsFoundFromItsHeaderAlone() throws Exception {
        TinyCheckpoint.random(TinyCheckpoint.llamaConfig("llama"), 5).write(folder);
        Path file = folder.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() - 100); // a download cut short
        }
        ValidationFinding finding = only(backend.validate(Fixtures.local(folder), Fixtures.batches(1)));
        assertEquals(Setting.MODEL, finding.setting());
        assertTrue(finding.message().contains(file.toString()) && finding.message().contains("outside the file"),
                finding.message());
    }

    @Test
    void aCorruptHeaderIsAModelError() throws Exception {
        TinyCheckpoint.random(TinyCheckpoint.llamaConfig("llama"), 5).write(folder);
        Path file = folder.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        byte[] garbage = "not json at all".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(garbage, 0, bytes, 8, garbage.length);
        Files.write(file, bytes);
        ValidationFinding finding = only(backend.validate(Fixtures.local(folder), Fixtures.batches(1)));
        assertEquals(Setting.MODEL, finding.setting());
        assertTrue(finding.message().contains("safetensors header"), finding.message());
    }

    @Test
    void everyShardIsChecked() throws Exception {
        TinyCheckpoint.random(TinyCheckpoint.llamaConfig("llama"), 5).writeSharded(folder);
        assertEquals(List.of(), backend.validate(Fixtures.local(folder), Fixtures.batches(1)).findings());
        Path second = folder.resolve("model-00002-of-00002.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(second.toFile(), "rw")) {
            raf.setLength(raf.length() - 4);
        }
        ValidationFinding finding = only(backend.validate(Fixtures.local(folder), Fixtures.batches(1)));
        assertTrue(finding.message().contains(second.toString()), finding.message());
    }

    @Test
    void everyBadOptionIsReportedWithItsKey() {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("bogus", 1L);
        options.put("threads", -5L);
        ValidationReport report = backend.validate(Fixtures.synthetic("llama-tiny"),
                new BackendSettings("cpu", BatchingMode.STATIC, 1, options));
        assertEquals(List.of("bogus", "threads"), report.findings().stream().map(ValidationFinding::option).sorted().toList());
        assertTrue(report.findings().stream().allMatch(f -> f.setting() == Setting.OPTION && f.severity() == Severity.ERROR));
        ValidationFinding threads = report.findings().stream().filter(f -> f.option().equals("threads")).findFirst().orElseThrow();
        assertEquals("djl option threads = -5 must be an integer between 1 and 1024 (PyTorch intra-op threads)",
                threads.message());
        assertTrue(backend.validate(Fixtures.synthetic("llama-tiny"),
                new BackendSettings("cpu", BatchingMode.STATIC, 1, Map.of("threads", 2.5))).hasErrors());
        assertFalse(backend.validate(Fixtures.synthetic("llama-tiny"),
                new BackendSettings("cpu", BatchingMode.STATIC, 1, Map.of("threads", 2L))).hasErrors());
    }

    @Test
    void aGpuTheEngineDoesNotSeeIsADeviceError() {
        ValidationFinding finding = only(backend.validate(Fixtures.synthetic("llama-tiny"),
                new BackendSettings("cuda:99", BatchingMode.STATIC, 1, Map.of())));
        assertEquals(Setting.DEVICE, finding.setting());
        assertTrue(finding.message().startsWith("device 'cuda:99' is not available: DJL's PyTorch engine sees"),
                finding.message());
        assertEquals(Setting.DEVICE, only(backend.validate(Fixtures.synthetic("llama-tiny"),
                new BackendSettings("tpu", BatchingMode.STATIC, 1, Map.of()))).setting());
    }

    @Test
    void bfloat16OnNdarraysIsAnErrorOnCudaAsOnTheCpuWithTheReasonAndRunsScripted() {
        ModelSpec brain = new ModelSpec("synthetic", "llama-tiny", Precision.BFLOAT16, "none", 0, Map.of());
        for (String device : List.of("cpu", "cuda")) {
            ValidationFinding precision = backend.validate(brain, new BackendSettings(device, BatchingMode.STATIC, 1,
                    Map.of("decoder", "ndarray"))).findings().stream()
                    .filter(f -> f.setting() == Setting.PRECISION).findFirst().orElseThrow();
            assertEquals(Severity.ERROR, precision.severity(), device);
            assertTrue(precision.message().contains("no bfloat16 type")
                    && precision.message().contains("allowed with decoder: ndarray: float32, float16"),
                    precision.message());
        }
        // without the option bfloat16 runs on the scripted decoder
        assertEquals(List.of(), backend.validate(brain, Fixtures.batches(1)).findings());
    }

    @Test
    void anUnknownDecoderIsAnOptionErrorNamingBothAndAnOnnxModelTakesNone() {
        ValidationFinding finding = only(backend.validate(Fixtures.synthetic("llama-tiny"),
                new BackendSettings("cpu", BatchingMode.STATIC, 1, Map.of("decoder", "fast"))));
        assertEquals(Severity.ERROR, finding.severity());
        assertTrue(finding.message().contains("decoder = fast is unknown; allowed: scripted")
                && finding.message().contains("ndarray"), finding.message());
    }

    @Test
    void float16OnTheCpuIsAWarningNotAnError() {
        ModelSpec half = new ModelSpec("synthetic", "llama-tiny", Precision.FLOAT16, "none", 0, Map.of());
        ValidationFinding finding = only(backend.validate(half, Fixtures.batches(1)));
        assertEquals(Severity.WARNING, finding.severity());
        assertEquals(Setting.PRECISION, finding.setting());
        assertTrue(finding.message().contains("6x slower"), finding.message());
        assertFalse(backend.validate(half, Fixtures.batches(1)).hasErrors());
        assertEquals(List.of(), backend.validate(Fixtures.synthetic("llama-tiny"), Fixtures.batches(1)).findings());
    }
}
