package lem.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lem.runtime.config.ExperimentConfig.BatchingStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigInheritanceTest {

    @TempDir
    Path folder;

    @Test
    void threeLevelsWithPathsRelativeToEachExtendingFile() {
        ConfigFiles files = new ConfigFiles(folder);
        files.write("shared/base/base.yaml", """
                model:
                  name: llama-base
                  seed: 7
                batching:
                  strategy: dynamic
                  batch_size: 2
                  max_wait_ms: 20
                prompts:
                  source: inline
                  inline: [one, two, three]
                backend:
                  name: djl
                  djl:
                    engine: PyTorch
                    threads: 2
                """);
        files.write("shared/gpu.yaml", """
                _extends: base/base.yaml
                precision: float16
                batching:
                  batch_size: 4
                backend:
                  device: cuda:0
                  djl:
                    threads: 8
                """);
        Path experiment = files.write("experiments/run.yaml", """
                _extends: ../shared/gpu.yaml
                prompts:
                  inline: [only]
                batching:
                  batch_size: 16
                """);

        LoadedConfig loaded = ConfigFiles.load(experiment);

        assertTrue(loaded.valid(), ConfigFiles.problemsText(loaded.problems()));
        ExperimentConfig config = loaded.config();
        assertEquals("run", config.name(), "name comes from the file name");
        assertEquals("llama-base", config.model().name(), "inherited from the grandparent");
        assertEquals(7, config.model().seed());
        assertEquals(ExperimentConfig.Precision.FLOAT16, config.precision(), "from the parent");
        assertEquals(BatchingStrategy.DYNAMIC, config.batching().strategy(), "maps merge key by key");
        assertEquals(16, config.batching().batchSize(), "the extending file wins");
        assertEquals(20, config.batching().maxWaitMillis());
        assertEquals(List.of("only"), config.prompts().inline(), "lists replace, they do not append");
        assertEquals("cuda:0", config.backend().device());
        assertEquals(Map.of("engine", "PyTorch", "threads", 8L), config.backendSettings(),
                "backend sections merge deeply too");
    }

    @Test
    void severalParentsMergeInListOrder() {
        ConfigFiles files = new ConfigFiles(folder);
        files.write("a.yaml", "cycles: 2\nbatching: {batch_size: 3}\n");
        files.write("b.yaml", "cycles: 4\n");
        Path child = files.write("child.yaml", "_extends: [a.yaml, b.yaml]\n");

        ExperimentConfig config = ConfigFiles.load(child).config();

        assertEquals(4, config.cycles(), "the later parent wins over the earlier");
        assertEquals(3, config.batching().batchSize());
    }

    @Test
    void cycleIsReportedWithTheChainOfFiles() {
        ConfigFiles files = new ConfigFiles(folder);
        files.write("a.yaml", "_extends: b.yaml\ncycles: 2\n");
        files.write("b.yaml", "cycles: 3\n_extends: c.yaml\n");
        files.write("c.yaml", "_extends: a.yaml\n");

        LoadedConfig loaded = ConfigFiles.load(folder.resolve("a.yaml"));

        assertEquals(1, loaded.problems().size(), ConfigFiles.problemsText(loaded.problems()));
        ConfigProblem cycle = loaded.problems().get(0);
        assertTrue(cycle.file().endsWith("c.yaml"), cycle.toString());
        assertEquals(1, cycle.line());
        assertTrue(cycle.message().matches(".*a\\.yaml -> .*b\\.yaml -> .*c\\.yaml -> .*a\\.yaml.*"),
                cycle.message());
        assertNull(loaded.config());
        assertEquals(2L, loaded.tree().get("cycles"), "the files outside the cycle still load");
    }

    @Test
    void fileExtendingItselfIsACycle() {
        Path self = new ConfigFiles(folder).write("self.yaml", "_extends: ./self.yaml\n");

        LoadedConfig loaded = ConfigFiles.load(self);

        assertEquals(1, loaded.problems().size());
        assertTrue(loaded.problems().get(0).message().contains("cycle"), loaded.problems().toString());
    }

    @Test
    void missingParentIsReportedAtTheExtendsLine() {
        Path child = new ConfigFiles(folder).write("child.yaml", """
                cycles: 2
                _extends: nowhere/base.yaml
                """);

        ConfigProblem problem = ConfigFiles.load(child).problems().get(0);

        assertEquals(child.toString(), problem.file());
        assertEquals(2, problem.line());
        assertEquals("_extends", problem.keyPath());
        assertTrue(problem.message().contains("not found"), problem.message());
    }

    @Test
    void missingConfigFileIsAProblemNotAnException() {
        LoadedConfig loaded = ConfigFiles.load(folder.resolve("absent.yaml"));

        assertEquals(1, loaded.problems().size());
        assertEquals("config file not found", loaded.problems().get(0).message());
        assertNull(loaded.config());
    }

    @Test
    void yamlSyntaxErrorNamesFileAndLine() {
        Path broken = new ConfigFiles(folder).write("broken.yaml", """
                batching:
                  batch_size: 4
                 strategy: [static
                """);

        ConfigProblem problem = ConfigFiles.load(broken).problems().get(0);

        assertTrue(problem.message().startsWith("YAML syntax error"), problem.message());
        assertTrue(problem.line() >= 2, problem.toString());
    }

    @Test
    void jsonConfigWorksAndMayExtendYaml() {
        ConfigFiles files = new ConfigFiles(folder);
        files.write("base.yaml", "decoder:\n  max_new_tokens: 64\n");
        Path json = files.write("exp.json", """
                {
                  "_extends": "base.yaml",
                  "batching": {"batch_size": 8, "strategy": "sorted_static"},
                  "prompts": {"source": "inline", "inline": ["hello", "world"]}
                }
                """);

        LoadedConfig loaded = ConfigFiles.load(json);

        assertTrue(loaded.valid(), ConfigFiles.problemsText(loaded.problems()));
        assertEquals("exp", loaded.config().name());
        assertEquals(8, loaded.config().batching().batchSize());
        assertEquals(BatchingStrategy.SORTED_STATIC, loaded.config().batching().strategy());
        assertEquals(64, loaded.config().decoder().maxNewTokens());
        assertEquals(Provenance.inFile(json.toString(), 3), loaded.provenance().get("batching.batch_size"));
    }

    @Test
    void jsonMistakesAreReportedWithTheirJsonLine() {
        Path json = new ConfigFiles(folder).write("bad.json", """
                {
                  "batching": {"batch_size": "eight"},
                  "cycles": 0
                }
                """);

        List<ConfigProblem> problems = ConfigFiles.load(json).problems();

        assertEquals(2, problems.size(), ConfigFiles.problemsText(problems));
        assertEquals(2, problems.get(0).line());
        assertEquals(3, problems.get(1).line());
    }

    @Test
    void backendShorthandNamesTheBackend() {
        ConfigFiles files = new ConfigFiles(folder);
        files.write("base.yaml", "backend:\n  name: djl\n  device: cuda\n");
        Path child = files.write("child.yaml", "_extends: base.yaml\nbackend: vllm\n");

        ExperimentConfig config = ConfigFiles.load(child).config();

        assertNotNull(config);
        assertEquals("vllm", config.backend().name());
        assertEquals("cuda", config.backend().device(), "the shorthand only sets the name");
    }
}
