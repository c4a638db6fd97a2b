package lem.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigValidationTest {

    @TempDir
    Path folder;

    private List<ConfigProblem> problemsOf(String yaml, String... overrides) {
        Path file = new ConfigFiles(folder).write("exp.yaml", yaml);
        return ConfigLoader.validate(ConfigFiles.load(file, overrides), ConfigFiles.BACKENDS);
    }

    private ConfigProblem onlyProblem(String yaml, String... overrides) {
        List<ConfigProblem> problems = problemsOf(yaml, overrides);
        assertEquals(1, problems.size(), ConfigFiles.problemsText(problems));
        return problems.get(0);
    }

    @Test
    void unknownKeySuggestsTheClosestValidKeyAtThatLevel() {
        ConfigProblem problem = onlyProblem("""
                batching:
                  strategy: static
                  bach_size: 4
                """);

        assertEquals("batching.bach_size", problem.keyPath());
        assertEquals(3, problem.line());
        assertTrue(problem.message().contains("did you mean 'batch_size'?"), problem.message());
        assertTrue(problem.message().contains("strategy, batch_size, max_tokens_per_batch, max_wait_ms"),
                problem.message());
    }

    @Test
    void unknownTopLevelKeyWithoutCloseMatchListsTheAllowedKeys() {
        ConfigProblem problem = onlyProblem("gpus: [0, 1]\n");

        assertEquals("gpus", problem.keyPath());
        assertTrue(problem.message().startsWith("unknown key 'gpus'. Keys allowed at the top level: name,"),
                problem.message());
    }

    @Test
    void keyAtTheWrongLevelSuggestsItsFullPath() {
        ConfigProblem problem = onlyProblem("batch_size: 32\n");

        assertTrue(problem.message().startsWith("unknown key 'batch_size'; did you mean 'batching.batch_size'?"),
                problem.message());
        assertTrue(onlyProblem("maxNewTokens: 8\n").message().contains("did you mean 'decoder.max_new_tokens'?"));
    }

    @Test
    void camelCaseKeyFindsItsSnakeCaseSpelling() {
        ConfigProblem problem = onlyProblem("decoder:\n  maxNewTokens: 8\n");

        assertTrue(problem.message().contains("did you mean 'max_new_tokens'?"), problem.message());
    }

    @Test
    void wrongType() {
        ConfigProblem problem = onlyProblem("batching:\n  batch_size: eight\n");

        assertEquals("exp.yaml:2: batching.batch_size: expected an integer, got 'eight'",
                problem.toString().substring(problem.toString().indexOf("exp.yaml")));
    }

    @Test
    void sectionThatIsNotAMap() {
        ConfigProblem problem = onlyProblem("warmup: yes please\n");

        assertEquals("warmup", problem.keyPath());
        assertTrue(problem.message().startsWith("expected a map with the keys enabled, min_requests"),
                problem.message());
    }

    @Test
    void outOfRange() {
        assertEquals("must be > 0 and <= 1, got 1.5", onlyProblem("decoder:\n  top_p: 1.5\n").message());
        assertEquals("must be between 10 and 10000, got 5",
                onlyProblem("timeseries:\n  interval_ms: 5\n").message());
        assertEquals("must be >= 1, got 0.9", onlyProblem("carbon:\n  pue: 0.9\n").message());
        assertEquals("must be >= 1, got 0", onlyProblem("cycles: 0\n").message());
        assertEquals("must be at most 2147483647, got 3000000000",
                onlyProblem("batching: {batch_size: 3000000000}\n").message());
        assertTrue(onlyProblem("model: {seed: 99999999999999999999}\n").message().startsWith("must fit in 64 bits"));
    }

    @Test
    void badEnumValueListsTheAllowedOnes() {
        ConfigProblem problem = onlyProblem("batching:\n  strategy: dynamc\n");

        assertEquals("'dynamc' is not one of static, dynamic, sorted_static, sorted_dynamic;"
                + " did you mean 'dynamic'?", problem.message());
        assertEquals("'fp64' is not one of float32, float16, bfloat16, fp8, int8, int4; did you mean 'fp8'?",
                onlyProblem("precision: fp64\n").message());
        assertTrue(onlyProblem("preset: quick\n").message().contains("quick-test, benchmark"));
    }

    @Test
    void countryMustBeAnIsoAlpha3Code() {
        assertTrue(onlyProblem("carbon: {country: FR}\n").message().contains("ISO 3166-1 alpha-3"));
        assertTrue(onlyProblem("carbon: {country: fra}\n").message().contains("'FRA'"));
        assertTrue(problemsOf("carbon: {country: DEU}\n").isEmpty());
    }

    @Test
    void promptSourceExcludesTheOtherPromptSettings() {
        ConfigProblem problem = onlyProblem("""
                prompts:
                  source: file
                  file: prompts.txt
                  inline: [a, b]
                """.replace("prompts.txt", writePromptFile()));

        assertEquals("prompts.inline", problem.keyPath());
        assertEquals(4, problem.line());
        assertTrue(problem.message().startsWith("not allowed when prompts.source is 'file'"),
                problem.message());
    }

    @Test
    void syntheticSettingsAreRejectedForInlinePrompts() {
        ConfigProblem problem = onlyProblem("""
                prompts:
                  source: inline
                  inline: [a]
                  synthetic:
                    input_tokens: 64
                """);

        assertEquals("prompts.synthetic.input_tokens", problem.keyPath());
        assertTrue(problem.message().contains("set prompts.source: synthetic"), problem.message());
    }

    @Test
    void trafficRateIsRequiredForArrivalsAndForbiddenWithout() {
        assertEquals("'poisson' needs traffic.target_qps, the request rate in requests per second (> 0)",
                onlyProblem("traffic: {pattern: poisson}\n").message());
        ConfigProblem forbidden = onlyProblem("traffic:\n  target_qps: 5\n");
        assertEquals("traffic.target_qps", forbidden.keyPath());
        assertTrue(forbidden.message().startsWith("must not be set when traffic.pattern is 'none' (from default)"),
                forbidden.message());
        assertTrue(problemsOf("traffic: {pattern: constant, target_qps: 2.5}\n").isEmpty());
    }

    @Test
    void maxWaitOnlyForDynamicBatching() {
        ConfigProblem problem = onlyProblem("batching:\n  max_wait_ms: 10\n");

        assertEquals("batching.max_wait_ms", problem.keyPath());
        assertTrue(problem.message().contains("strategy is 'static' (from default)"), problem.message());
        assertTrue(problemsOf("batching: {strategy: sorted_dynamic, max_wait_ms: 10}\n").isEmpty());
    }

    @Test
    void minimumAboveMaximumNamesWhereTheOtherValueCameFrom() {
        ConfigProblem problem = onlyProblem("preset: benchmark\ndecoder:\n  max_new_tokens: 64\n");

        assertEquals("decoder.max_new_tokens", problem.keyPath());
        assertEquals(3, problem.line());
        assertEquals("must be >= decoder.min_new_tokens = 128 (from preset benchmark), got 64",
                problem.message());
    }

    @Test
    void aWarmupWindowLargerThanItsCapCanNeverConverge() {
        ConfigProblem problem = onlyProblem("warmup:\n  window: 8\n  max_requests: 6\n  min_requests: 2\n");

        assertEquals("warmup.max_requests", problem.keyPath());
        assertEquals("must be >= warmup.window = 8 (from " + problem.file() + ":2), got 6", problem.message());
    }

    @Test
    void localModelNeedsAPath() {
        assertEquals("model.source", onlyProblem("model: {source: local}\n").keyPath());
        assertEquals("model.path", onlyProblem("model: {path: /weights}\n").keyPath());
    }

    @Test
    void unknownBackendListsTheRegisteredOnes() {
        ConfigProblem problem = onlyProblem("backend:\n  name: vlm\n");

        assertEquals("backend.name", problem.keyPath());
        assertEquals(2, problem.line());
        assertEquals("no registered backend is named 'vlm'; did you mean 'vllm'?"
                + " Registered: djl, tensorrt, vllm", problem.message());
    }

    @Test
    void noBackendRegisteredAtAll() {
        Path file = new ConfigFiles(folder).write("exp.yaml", "{}\n");

        List<ConfigProblem> problems = ConfigLoader.validate(ConfigFiles.load(file), Set.of());

        assertEquals(1, problems.size());
        assertEquals("default", problems.get(0).file());
        assertTrue(problems.get(0).message().contains("no backend is registered"), problems.get(0).message());
    }

    @Test
    void namedEnergySourcesMustBeRegistered() {
        Path file = new ConfigFiles(folder).write("exp.yaml", "energy:\n  sources: [nvml, rapel]\n");

        List<ConfigProblem> problems = ConfigLoader.validate(ConfigFiles.load(file), ConfigFiles.BACKENDS,
                Set.of("nvml", "rapl", "codecarbon"));

        assertEquals(1, problems.size(), ConfigFiles.problemsText(problems));
        assertEquals(2, problems.get(0).line());
        assertEquals("no registered energy source is named 'rapel'; did you mean 'rapl'?"
                + " Registered: codecarbon, nvml, rapl; or write sources: auto", problems.get(0).message());
    }

    @Test
    void backendSectionsAreMapsButTheirContentIsTheBackendsBusiness() {
        assertTrue(problemsOf("backend:\n  djl: {anything: [1, 2], goes: {deep: true}}\n").isEmpty());
        ConfigProblem notAMap = onlyProblem("backend:\n  vllm: fast\n");
        assertEquals("backend.vllm", notAMap.keyPath());
        assertTrue(notAMap.message().contains("a map of settings for the backend named 'vllm'"),
                notAMap.message());
    }

    @Test
    void duplicateKeyIsAMistake() {
        ConfigProblem problem = onlyProblem("cycles: 2\ncycles: 3\n");

        assertEquals(2, problem.line());
        assertTrue(problem.message().contains("first written at line 1"), problem.message());
    }

    @Test
    void fiveMistakesGiveFiveProblemsEachWithFileKeyAndLine() {
        Path file = new ConfigFiles(folder).write("five.yaml", """
                name: five-mistakes
                model:
                  source: synthetic
                batching:
                  batch_size: eight
                  strategy: fastest
                decoder:
                  temprature: 0.5
                  top_p: 2
                traffic:
                  pattern: none
                  target_qps: 10
                """);

        List<ConfigProblem> problems = ConfigLoader.validate(ConfigFiles.load(file), ConfigFiles.BACKENDS);

        assertEquals(5, problems.size(), ConfigFiles.problemsText(problems));
        assertEquals(List.of("batching.batch_size", "batching.strategy", "decoder.temprature",
                "decoder.top_p", "traffic.target_qps"), problems.stream().map(ConfigProblem::keyPath).toList());
        assertEquals(List.of(5, 6, 8, 9, 12), problems.stream().map(ConfigProblem::line).toList());
        problems.forEach(problem -> assertEquals(file.toString(), problem.file()));
        assertNull(ConfigFiles.load(file).config(), "no typed config from an invalid file");
    }

    @Test
    void problemInAnInheritedFileNamesThatFileAndLine() {
        ConfigFiles files = new ConfigFiles(folder);
        Path base = files.write("base/base.yaml", """
                model:
                  name: tiny
                warmup:
                  window: 1
                """);
        Path child = files.write("child.yaml", """
                _extends: base/base.yaml
                warmup:
                  enabled: true
                """);

        ConfigProblem problem = ConfigFiles.load(child).problems().get(0);

        assertEquals(base.toString(), problem.file());
        assertEquals(4, problem.line());
        assertEquals("warmup.window", problem.keyPath());
        assertEquals("must be >= 2, got 1", problem.message());
    }

    @Test
    void promptFileIsCheckedRelativeToTheFileThatNamesIt() {
        ConfigFiles files = new ConfigFiles(folder);
        files.write("data/prompts.jsonl", "{\"prompt\": \"hello\"}\n{\"text\": \"no prompt\"}\n");
        files.write("configs/base.yaml", "prompts:\n  source: file\n  file: ../data/prompts.jsonl\n");
        Path child = files.write("configs/runs/child.yaml", "_extends: ../base.yaml\n");

        List<ConfigProblem> problems = ConfigFiles.load(child).problems();

        assertEquals(1, problems.size(), ConfigFiles.problemsText(problems));
        assertTrue(problems.get(0).file().endsWith("prompts.jsonl"), problems.get(0).toString());
        assertEquals(2, problems.get(0).line());
    }

    @Test
    void missingPromptFileIsReportedAtTheKey() {
        ConfigProblem problem = onlyProblem("prompts:\n  source: file\n  file: absent.txt\n");

        assertEquals("prompts.file", problem.keyPath());
        assertEquals(3, problem.line());
        assertTrue(problem.message().contains("not found"), problem.message());
    }

    private String writePromptFile() {
        return new ConfigFiles(folder).write("prompts.txt", "one\ntwo\n").getFileName().toString();
    }

    @Test
    void aPrecisionNameFromAnotherToolSuggestsLemsName() {
        ConfigProblem problem = onlyProblem("precision: fp16\n");
        assertEquals("precision", problem.keyPath());
        assertEquals(1, problem.line());
        assertTrue(problem.message().endsWith("did you mean 'float16'?"), problem.message());
        assertTrue(onlyProblem("precision: BF16\n").message().endsWith("did you mean 'bfloat16'?"));
    }

    @Test
    void aRequestRateThatWouldNeverSendIsRefusedWithTheAllowedRange() {
        ConfigProblem problem = onlyProblem("traffic: {pattern: constant, target_qps: 1e-300}\n");
        assertEquals("traffic.target_qps", problem.keyPath());
        assertEquals("must be between 0.001 and 1000000, got 1.0E-300", problem.message());
        assertEquals("traffic.target_qps", onlyProblem("traffic: {pattern: poisson, target_qps: 2e6}\n").keyPath());
        assertTrue(problemsOf("traffic: {pattern: constant, target_qps: 0.001}\n").isEmpty());
    }

    @Test
    void aBackendVersionIsAKeyOfTheBackendSection() {
        assertTrue(problemsOf("backend: {name: djl, version: '[0.1,1)'}\n").isEmpty(),
                ConfigFiles.problemsText(problemsOf("backend: {name: djl, version: '[0.1,1)'}\n")));
        Path file = new ConfigFiles(folder).write("pinned.yaml", "backend:\n  version: 1.2.3\n");
        assertEquals(java.util.Optional.of("1.2.3"), ConfigFiles.load(file).config().backend().version());
    }
}
