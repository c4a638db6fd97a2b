package lem.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import lem.runtime.config.ExperimentConfig.Decoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PresetsAndOverridesTest {

    @TempDir
    Path folder;

    @Test
    void defaultsWithoutAnyFileSetting() {
        Path empty = new ConfigFiles(folder).write("defaults.yaml", "{}\n");

        LoadedConfig loaded = ConfigFiles.load(empty);

        assertTrue(loaded.valid(), ConfigFiles.problemsText(loaded.problems()));
        ExperimentConfig config = loaded.config();
        assertEquals("llama-tiny", config.model().name());
        assertEquals(42, config.model().seed());
        assertEquals("djl", config.backend().name());
        assertEquals(1, config.batching().batchSize());
        assertEquals(32, config.decoder().maxNewTokens());
        assertTrue(config.decoder().greedy());
        assertEquals(8, config.prompts().count());
        assertEquals(32, config.prompts().synthetic().inputTokensMax(), "max defaults to min: fixed length");
        assertEquals(0.05, config.warmup().cvThreshold());
        assertEquals(30.0, config.baseline().durationSeconds());
        assertTrue(config.energy().allAvailable());
        assertEquals(Optional.empty(), config.carbon().countryIso3());
        assertEquals(Path.of("results"), config.output().dir());
        assertEquals(Optional.empty(), config.preset());
    }

    @Test
    void benchmarkPresetFillsWhatTheFileLeavesOut() {
        Path file = new ConfigFiles(folder).write("bench.yaml", """
                preset: benchmark
                cycles: 3
                """);

        ExperimentConfig config = ConfigFiles.load(file).config();

        assertEquals(Optional.of(RunPreset.BENCHMARK), config.preset());
        assertEquals(3, config.cycles(), "a key in the file beats the preset");
        assertEquals(128, config.decoder().minNewTokens(), "fixed output length");
        assertEquals(128, config.decoder().maxNewTokens());
        assertEquals(100, config.prompts().count());
        assertEquals(30.0, config.baseline().durationSeconds());
        assertEquals(Optional.of(DecoderPreset.DETERMINISTIC), config.decoder().preset());
        assertTrue(config.prompts().synthetic().fixedLength());
    }

    @Test
    void quickTestIsShorterThanBenchmark() {
        ConfigFiles files = new ConfigFiles(folder);
        ExperimentConfig quick = ConfigFiles.load(files.write("q.yaml", "preset: quick-test\n")).config();
        ExperimentConfig bench = ConfigFiles.load(files.write("b.yaml", "preset: benchmark\n")).config();

        assertTrue(quick.baseline().durationSeconds() < bench.baseline().durationSeconds());
        assertTrue(quick.warmup().maxRequests() < bench.warmup().maxRequests());
        assertTrue(quick.cycles() < bench.cycles());
        assertTrue(quick.decoder().maxNewTokens() < bench.decoder().maxNewTokens());
    }

    @Test
    void decoderPresetSetsSamplingAndExplicitKeysWin() {
        Path file = new ConfigFiles(folder).write("creative.yaml", """
                decoder:
                  preset: creative
                  temperature: 0.7
                """);

        Decoder decoder = ConfigFiles.load(file).config().decoder();

        assertEquals(0.7, decoder.temperature(), "written in the file, beats the preset");
        assertEquals(0.95, decoder.topP(), "from the creative preset");
        assertEquals(50, decoder.topK());
    }

    @Test
    void explicitKeyInABaseFileBeatsAPresetChosenByTheChild() {
        ConfigFiles files = new ConfigFiles(folder);
        files.write("base.yaml", "decoder:\n  top_k: 5\n");
        Path child = files.write("child.yaml", "_extends: base.yaml\ndecoder:\n  preset: factual\n");

        Decoder decoder = ConfigFiles.load(child).config().decoder();

        assertEquals(5, decoder.topK());
        assertEquals(0.3, decoder.temperature());
        assertEquals(1.1, decoder.repetitionPenalty());
    }

    @Test
    void explicitDecoderPresetBeatsTheOneTheRunPresetNames() {
        Path file = new ConfigFiles(folder).write("x.yaml", """
                preset: benchmark
                decoder: {preset: standard}
                """);

        Decoder decoder = ConfigFiles.load(file).config().decoder();

        assertEquals(Optional.of(DecoderPreset.STANDARD), decoder.preset());
        assertEquals(1.0, decoder.temperature());
        assertEquals(128, decoder.maxNewTokens(), "the rest of the run preset still applies");
    }

    @Test
    void overridesBeatFilesAndParseYamlValues() {
        ConfigFiles files = new ConfigFiles(folder);
        files.write("base.yaml", "batching:\n  batch_size: 2\n");
        Path child = files.write("child.yaml", """
                _extends: base.yaml
                batching:
                  batch_size: 4
                prompts:
                  source: inline
                  inline: [x]
                """);

        LoadedConfig loaded = ConfigFiles.load(child,
                "batching.batch_size=8", "--set prompts.inline=[a, b]",
                ConfigLoader.cyclesOverride(3), "backend.djl.threads=4", "carbon.country=FRA");

        assertTrue(loaded.valid(), ConfigFiles.problemsText(loaded.problems()));
        ExperimentConfig config = loaded.config();
        assertEquals(8, config.batching().batchSize());
        assertEquals(List.of("a", "b"), config.prompts().inline());
        assertEquals(3, config.cycles());
        assertEquals(4L, config.backendSettings().get("threads"));
        assertEquals(Optional.of("FRA"), config.carbon().countryIso3());
    }

    @Test
    void optionNameAsItsOwnArgumentIsSkipped() {
        Path file = new ConfigFiles(folder).write("x.yaml", "{}\n");

        LoadedConfig loaded = ConfigFiles.load(file, "--set", "cycles=4", "--set", "warmup.enabled=false");

        assertTrue(loaded.valid(), ConfigFiles.problemsText(loaded.problems()));
        assertEquals(4, loaded.config().cycles());
        assertEquals(false, loaded.config().warmup().enabled());
    }

    @Test
    void laterOverrideOfTheSameKeyWins() {
        Path file = new ConfigFiles(folder).write("x.yaml", "{}\n");

        ExperimentConfig config = ConfigFiles.load(file, "cycles=2", "cycles=6").config();

        assertEquals(6, config.cycles());
    }

    @Test
    void overrideCanSwitchThePreset() {
        Path file = new ConfigFiles(folder).write("x.yaml", "preset: benchmark\n");

        ExperimentConfig config = ConfigFiles.load(file, "preset=quick-test").config();

        assertEquals(Optional.of(RunPreset.QUICK_TEST), config.preset());
        assertEquals(1, config.cycles());
    }

    @Test
    void malformedOverridesAreProblems() {
        Path file = new ConfigFiles(folder).write("x.yaml", "{}\n");

        List<ConfigProblem> problems = ConfigFiles.load(file,
                "batching.batch_size", "prompts.inline=[a, b", "batching.batch_size=eight").problems();

        assertEquals(3, problems.size(), ConfigFiles.problemsText(problems));
        problems.forEach(problem -> assertEquals("--set", problem.file()));
        assertTrue(problems.get(0).message().contains("key.path=value"), problems.get(0).message());
        assertTrue(problems.get(1).message().contains("not valid YAML"), problems.get(1).message());
        assertEquals("batching.batch_size", problems.get(2).keyPath());
        assertEquals("expected an integer, got 'eight'", problems.get(2).message());
    }
}
