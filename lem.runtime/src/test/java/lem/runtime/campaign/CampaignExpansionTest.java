package lem.runtime.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.runtime.config.ConfigDocument;
import lem.runtime.config.ConfigProblem;
import lem.runtime.config.Provenance;

class CampaignExpansionTest {
    static final String TINY = """
            name: tiny
            model: {source: synthetic, name: tiny-test}
            backend: {name: scripted, device: cpu}
            prompts: {source: synthetic, count: 2, synthetic: {input_tokens: 8, seed: 7}}
            decoder: {max_new_tokens: 3}
            warmup: {enabled: false}
            baseline: {enabled: false}
            output: {dir: results}
            """;

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    private CampaignExpansion.Result expand(String campaign) throws IOException {
        write("tiny.yaml", TINY);
        return CampaignExpansion.expand(CampaignFile.read(write("campaign.yaml", campaign)), loaded -> List.of());
    }

    private static List<String> names(CampaignExpansion.Result result) {
        return result.experiments().stream().map(Experiment::name).toList();
    }

    @Test
    void aGridIsTheCartesianProductFirstKeySlowestEachNamedAndResolvedWithItsValues() throws IOException {
        CampaignExpansion.Result result = expand("""
                base: tiny.yaml
                grid:
                  batching.batch_size: [1, 4]
                  precision: [float16, float32]
                """);
        assertTrue(result.valid(), () -> String.valueOf(result.problems()));
        assertEquals(List.of("tiny-batching.batch_size=1-precision=float16", "tiny-batching.batch_size=1-precision=float32",
                "tiny-batching.batch_size=4-precision=float16", "tiny-batching.batch_size=4-precision=float32"), names(result));
        Experiment third = result.experiments().get(2);
        assertEquals(4, third.loaded().config().batching().batchSize());
        assertEquals("float16", third.loaded().config().precision().configName());
        assertEquals(third.name(), third.loaded().config().name(), "the experiment's results carry its name");
        assertEquals(3, third.loaded().config().decoder().maxNewTokens(), "everything else comes from the base");
        // provenance: the varied value came from the campaign file, at its line
        Provenance origin = third.loaded().provenance().get("batching.batch_size");
        assertEquals(dir.resolve("campaign.yaml").toString() + ":3", origin.describe());
        assertEquals(dir.resolve("tiny.yaml").toString() + ":5", third.loaded().provenance().get("decoder.max_new_tokens").describe());
    }

    @Test
    void excludeRemovesAndIncludeAddsCombinations() throws IOException {
        CampaignExpansion.Result result = expand("""
                base: tiny.yaml
                grid:
                  batching: {batch_size: [1, 4]}
                  precision: [float16, float32]
                  exclude:
                    - {batching.batch_size: 1, precision: float16}
                  include:
                    - {batching.batch_size: 16, precision: float32}
                    - {batching.batch_size: 4, precision: float32}
                """);
        assertTrue(result.valid(), () -> String.valueOf(result.problems()));
        assertEquals(List.of("tiny-batching.batch_size=1-precision=float32", "tiny-batching.batch_size=4-precision=float16",
                "tiny-batching.batch_size=4-precision=float32", "tiny-batching.batch_size=16-precision=float32"), names(result),
                "an include already in the grid is not doubled");
        assertEquals(16, result.experiments().get(3).loaded().config().batching().batchSize());
    }

    @Test
    void anInlineBaseExtendsAFileRelativeToTheCampaignAndEveryConfigIsCrossedWithTheGrid() throws IOException {
        write("configs/other.yaml", TINY.replace("name: tiny", "name: other"));
        CampaignExpansion.Result result = expand("""
                base:
                  _extends: tiny.yaml
                  name: inline
                  decoder: {max_new_tokens: 5}
                configs: [configs/other.yaml]
                grid:
                  prompts.count: [1, 3]
                cycles: 2
                order: grouped
                """);
        assertTrue(result.valid(), () -> String.valueOf(result.problems()));
        assertEquals(List.of("inline-prompts.count=1", "inline-prompts.count=3", "other-prompts.count=1", "other-prompts.count=3"),
                names(result));
        assertEquals(5, result.experiments().get(0).loaded().config().decoder().maxNewTokens());
        assertEquals(3, result.experiments().get(3).loaded().config().prompts().count());
        assertEquals(8, result.runs(0).size(), "4 experiments x 2 campaign cycles");
    }

    @Test
    void theExampleCampaignIsATwoByTwoGridOnTheQuickstartOverTwoInterleavedCycles() {
        Path example = Path.of(System.getProperty("user.dir")).getParent().resolve("examples/campaign.yaml");
        CampaignExpansion.Result result = CampaignExpansion.expand(CampaignFile.read(example), loaded -> List.of());
        assertTrue(result.valid(), () -> String.valueOf(result.problems()));
        assertEquals(List.of("quickstart-batching.batch_size=1-precision=float32", "quickstart-batching.batch_size=1-precision=float16",
                "quickstart-batching.batch_size=4-precision=float32", "quickstart-batching.batch_size=4-precision=float16"),
                names(result));
        assertEquals(Ordering.INTERLEAVED, result.spec().order());
        assertEquals(2, result.spec().cycles());
        assertEquals(1, result.experiments().get(0).loaded().config().cycles(), "one measurement cycle per run");
        assertEquals("llama-tiny", result.experiments().get(3).loaded().config().model().name(), "the quickstart's model");
    }

    @Test
    void namesAreFileSafe() {
        List<ConfigDocument.Setting> varied = List.of(new ConfigDocument.Setting("energy.sources", List.of("nvml", "rapl"), null),
                new ConfigDocument.Setting("model.name", "org/model name", null));
        assertEquals("q-energy.sources=nvml+rapl-model.name=org_model_name", CampaignExpansion.experimentName("q", varied));
        assertEquals("_hidden-x=1", CampaignExpansion.experimentName(".hidden", List.of(new ConfigDocument.Setting("x", 1L, null))));
        String longName = CampaignExpansion.experimentName("q", List.of(new ConfigDocument.Setting("model.name", "m".repeat(300), null)));
        assertEquals(CampaignExpansion.MAX_NAME_LENGTH, longName.length());
        assertFalse(longName.equals(CampaignExpansion.experimentName("q",
                List.of(new ConfigDocument.Setting("model.name", "m".repeat(299) + "n", null)))), "cut names stay distinct");
    }

    @Test
    void everyMistakeIsReportedAtOnceWithFileAndLine() throws IOException {
        CampaignExpansion.Result result = expand("""
                base: tiny.yaml
                configs: [missing.yaml]
                grid:
                  precision: [float16, float17]
                  batching.batch_sise: [1, 2]
                  cycles: 3
                  exclude:
                    - {precision: float64}
                order: random
                on_faillure: stop
                """);
        assertFalse(result.valid());
        String campaign = dir.resolve("campaign.yaml").toString();
        List<String> problems = result.problems().stream().map(ConfigProblem::toString).toList();
        assertTrue(problems.contains(campaign + ":10: on_faillure: unknown campaign key; did you mean 'on_failure'?"
                + "; campaign keys: base, configs, cool_down, cycles, gap_s, grid, name, on_failure, order, output_dir, seed, slurm"
                + " (config keys go in the config, or in grid: to vary them)"), problems::toString);
        assertTrue(problems.stream().anyMatch(p -> p.startsWith(campaign + ":2: configs[0]: '") && p.contains("missing.yaml' not found")), problems::toString);
        assertTrue(problems.contains(campaign + ":6: grid.cycles: expected a list of the values to try, e.g. cycles: [1, 2], got 3"), problems::toString);
        assertTrue(problems.stream().anyMatch(p -> p.startsWith(campaign + ":8: grid.exclude: excludes nothing: precision 'float64'")), problems::toString);
        assertTrue(problems.contains(campaign + ":9: order: expected grouped, interleaved or shuffled, got 'random'"), problems::toString);
        assertEquals(5, problems.size(), problems::toString);
    }

    @Test
    void coolDownKeysAreCheckedAllAtOnce() throws IOException {
        CampaignExpansion.Result result = expand("""
                base: tiny.yaml
                cool_down:
                  within_watts: -1
                  within_wats: 300
                """);
        String campaign = dir.resolve("campaign.yaml").toString();
        assertEquals(List.of(campaign + ":4: cool_down.within_wats: unknown cool_down key; did you mean 'within_watts'?; allowed:"
                + " within_watts, within_celsius, max_s, sample_s",
                campaign + ":3: cool_down.within_watts: expected a number from 0.0 to 100000, got -1"),
                result.problems().stream().map(ConfigProblem::toString).toList());
        assertEquals(new CoolDown(10, 3, 300, 1), CampaignFile.read(write("ok.yaml", "base: tiny.yaml\ncool_down: {}\n")).coolDown(),
                "defaults: 10 W, 3 C, 300 s, readings of 1 s");
    }

    @Test
    void expandedConfigsAreValidatedWithProblemsAtTheGridLineAndEachProblemOnce() throws IOException {
        CampaignExpansion.Result result = expand("""
                base: tiny.yaml
                grid:
                  precision: [float16, float17]
                  batching.batch_sise: [1, 2]
                """);
        assertFalse(result.valid());
        String campaign = dir.resolve("campaign.yaml").toString();
        List<String> problems = result.problems().stream().map(ConfigProblem::toString).toList();
        assertTrue(problems.stream().anyMatch(p -> p.startsWith(campaign + ":3: precision: ") && p.contains("float17")), problems::toString);
        assertTrue(problems.stream().anyMatch(p -> p.startsWith(campaign + ":4: batching.batch_sise: ") && p.contains("batch_size")),
                problems::toString);
        assertEquals(problems.size(), problems.stream().distinct().count(), "four experiments share a mistake; it is said once");
        assertEquals(2, problems.size(), problems::toString);
    }

    @Test
    void theCallersCheckSeesEveryExpandedConfig() throws IOException {
        write("tiny.yaml", TINY);
        Path campaign = write("campaign.yaml", "base: tiny.yaml\ngrid: {batching.batch_size: [1, 2, 3]}\n");
        CampaignExpansion.Result result = CampaignExpansion.expand(CampaignFile.read(campaign),
                loaded -> loaded.config().batching().batchSize() == 3
                        ? List.of(new ConfigProblem("backend", "batching.batch_size", 0, "too big for this backend"))
                        : List.of());
        assertEquals(List.of("backend: batching.batch_size: too big for this backend"),
                result.problems().stream().map(ConfigProblem::toString).toList());
    }

    @Test
    void aCampaignWithoutConfigsOrWithAnEmptyGridValueSaysSo() throws IOException {
        CampaignExpansion.Result result = expand("grid: {precision: []}\n");
        List<String> problems = result.problems().stream().map(ConfigProblem::toString).toList();
        String campaign = dir.resolve("campaign.yaml").toString();
        assertEquals(List.of(campaign + ": names no config: write base: <config file> (or an inline config), or configs: [a.yaml, ...]",
                campaign + ":1: grid.precision: expected a list of the values to try, e.g. precision: [1, 2], got a list []"), problems);
    }
}
