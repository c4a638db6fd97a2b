package lem.runtime.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import lem.api.backend.InferenceBackend;
import lem.runtime.command.ResultTables;
import lem.runtime.command.TableFormat;
import lem.runtime.config.ConfigLoader;
import lem.runtime.config.ConfigProblem;
import lem.runtime.config.LoadedConfig;
import lem.runtime.plugin.PluginService;
import lem.runtime.results.CsvText;
import lem.runtime.results.ExperimentCsv;
import lem.runtime.results.ResultsDirectory;
import lem.runtime.results.ResultsJson;

/** {@code energy.sources: none}: a run with no energy source at all, labelled unmetered everywhere a user looks. */
class UnmeteredRunTest {
    @TempDir
    Path dir;

    private Path config(String sources) throws IOException {
        return configFile(dir, sources, "");
    }

    /** A two-cycle config of the scripted backend with the given energy sources and extra lines. */
    static Path configFile(Path dir, String sources, String extra) throws IOException {
        return Files.writeString(dir.resolve("exp.yaml"), """
                name: unmetered-test
                model: {source: synthetic, name: tiny-test}
                backend: {name: scripted, device: cpu}
                prompts: {source: synthetic, count: 2, synthetic: {input_tokens: 8, seed: 7}}
                decoder: {max_new_tokens: 4}
                warmup: {enabled: false}
                cycles: 2
                output: {dir: results}
                energy: {sources: %s}
                """.formatted(sources) + extra);
    }

    @Test
    void noneIsAValidSourceChoiceAndAnEmptyListPointsToIt() throws IOException {
        LoadedConfig none = ConfigLoader.load(config("none"), List.of());
        assertTrue(none.valid(), () -> String.valueOf(none.problems()));
        assertTrue(none.config().energy().none());
        assertFalse(ConfigLoader.load(config("auto"), List.of()).config().energy().none());
        assertFalse(ConfigLoader.load(config("[meter]"), List.of()).config().energy().none());
        assertTrue(ConfigLoader.load(config("auto"), List.of("energy.sources=none")).config().energy().none(),
                "--set energy.sources=none turns the meters off");

        List<ConfigProblem> problems = ConfigLoader.validate(ConfigLoader.load(config("[]"), List.of()), java.util.Set.of("scripted"));
        assertEquals(1, problems.size(), String.valueOf(problems));
        assertEquals("energy.sources", problems.get(0).keyPath());
        assertTrue(problems.get(0).message().contains("'none' (no energy source: an unmetered run)"), problems.get(0).message());
    }

    @Test
    void anUnmeteredRunHasNoEnergyFiguresNoEnergyWarningsAndSaysSo() throws IOException {
        LoadedConfig loaded = ConfigLoader.load(config("none"), List.of());
        RunServices services = new RunServices(new PluginService<>(ScriptedBackend.NAME, "b", "1", "ACTIVE", 0,
                (InferenceBackend) new ScriptedBackend()), List.of(), List.of(), Map.of());

        RunOutcome outcome = new ExperimentRunner(loaded, services, new BaselineMeter(), RunProgress.SILENT,
                new EnvironmentCapture(dir), dir).run();

        assertTrue(outcome.complete(), outcome.reason());
        JsonNode result = ResultsJson.read(outcome.directory().resolve(ResultsDirectory.RESULT_FILE), JsonNode.class);
        assertTrue(result.path("unmetered").asBoolean(), "result.json says unmetered");
        JsonNode overall = result.path("overall");
        assertTrue(overall.path("output_tokens_per_second").asDouble() > 0, "throughput is still measured");
        for (String key : List.of("energy", "phase_energy", "joules_per_output_token", "output_tokens_per_joule")) {
            assertTrue(overall.has(key) && overall.get(key).isNull(), key + " is null, not 0: " + overall.get(key));
        }
        assertTrue(result.path("cycles").get(0).path("metrics").path("energy").isNull());
        for (JsonNode statistic : result.path("statistics")) {
            assertFalse(statistic.path("metric").asText().contains("j"), "no energy statistic: " + statistic);
        }
        for (JsonNode warning : result.path("warnings")) {
            String text = warning.asText().toLowerCase(java.util.Locale.ROOT);
            assertFalse(text.contains("energy") || text.contains("baseline"), "no warning about energy: " + text);
        }

        String csv = Files.readString(outcome.directory().getParent().resolve(ResultsDirectory.EXPERIMENTS_CSV),
                StandardCharsets.UTF_8);
        List<String> header = ExperimentCsv.header();
        List<String> row = List.of(csv.split("\n")[1].split(",", -1));
        assertEquals("unmetered", row.get(header.indexOf("energy_sources")));
        assertEquals("", row.get(header.indexOf("energy_raw_j_pooled")));
        assertEquals("", row.get(header.indexOf("energy_raw_j_cycle_mean")));
        assertEquals("", row.get(header.indexOf("j_per_output_token_pooled")));
        assertFalse(row.get(header.indexOf("output_tokens_per_s_pooled")).isEmpty());
        assertEquals(csv.split("\n")[0], CsvText.row(header));

        String summary = TableFormat.render(ResultTables.summary(outcome.result(), "complete", "here"));
        assertTrue(summary.lines().anyMatch(l -> l.matches("energy\\s+unmetered\\s+energy.sources: none.*")), summary);
        assertFalse(summary.contains("J/token") || summary.contains("tokens/J") || summary.contains(" J "), summary);
    }
}
