package lem.runtime.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.api.backend.BackendInfo;
import lem.api.backend.BackendSettings;
import lem.api.backend.BatchingMode;
import lem.api.backend.Capabilities;
import lem.api.backend.InferenceBackend;
import lem.api.backend.LoadedModel;
import lem.api.backend.Parallelism;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.runtime.config.ConfigLoader;
import lem.runtime.config.ConfigProblem;
import lem.runtime.config.LoadedConfig;
import lem.runtime.plugin.PluginService;

/** Asking a backend for what it says it cannot do is a config mistake, caught before anything runs. */
class BackendFitTest {
    @TempDir
    Path dir;

    private static PluginService<InferenceBackend> cpuFloat32StaticBackend() {
        InferenceBackend backend = new InferenceBackend() {
            @Override
            public BackendInfo info() {
                return new BackendInfo("small", "", "", new Capabilities(true, EnumSet.of(BatchingMode.STATIC), Set.of("cpu"),
                        EnumSet.of(Precision.FLOAT32, Precision.FLOAT16), EnumSet.of(Parallelism.NONE), false, Set.of("synthetic")));
            }

            @Override
            public LoadedModel open(ModelSpec model, BackendSettings settings) {
                throw new UnsupportedOperationException("not opened by this test");
            }
        };
        return new PluginService<>("small", "test.bundle", "1.0.0", "ACTIVE", 0, backend);
    }

    private LoadedConfig load(String yaml, List<String> overrides) throws Exception {
        Path file = dir.resolve("exp.yaml");
        Files.writeString(file, yaml);
        LoadedConfig loaded = ConfigLoader.load(file, overrides);
        assertEquals(List.of(), loaded.problems());
        return loaded;
    }

    @Test
    void eachUnsupportedSettingNamesItsKeyLineAndWhatIsSupported() throws Exception {
        LoadedConfig loaded = load("backend:\n  name: small\n  device: cuda:1\nprecision: bfloat16\nbatching:\n  strategy: dynamic\n",
                List.of());

        List<ConfigProblem> problems = BackendFit.problems(loaded, cpuFloat32StaticBackend());

        assertEquals(List.of("backend.device", "precision", "batching.strategy"), problems.stream().map(ConfigProblem::keyPath).sorted(
                (a, b) -> Integer.compare(line(problems, a), line(problems, b))).toList());
        ConfigProblem precision = problems.stream().filter(p -> p.keyPath().equals("precision")).findFirst().orElseThrow();
        assertEquals(4, precision.line());
        assertEquals("the small backend cannot compute in bfloat16; it supports [float16, float32]", precision.message());
        ConfigProblem device = problems.stream().filter(p -> p.keyPath().equals("backend.device")).findFirst().orElseThrow();
        assertEquals("the small backend cannot run on cuda:1; it supports [cpu]", device.message());
    }

    @Test
    void aTokenBudgetNeedsABackendThatHonoursOne() throws Exception {
        LoadedConfig loaded = load("backend:\n  name: small\nbatching:\n  max_tokens_per_batch: 512\n", List.of());

        List<ConfigProblem> problems = BackendFit.problems(loaded, cpuFloat32StaticBackend());

        assertEquals(1, problems.size());
        assertEquals("batching.max_tokens_per_batch", problems.get(0).keyPath());
        assertEquals(4, problems.get(0).line());
    }

    @Test
    void anOverrideIsBlamedOnSet() throws Exception {
        LoadedConfig loaded = load("backend:\n  name: small\n", List.of("precision=int8"));

        List<ConfigProblem> problems = BackendFit.problems(loaded, cpuFloat32StaticBackend());

        assertEquals(1, problems.size());
        assertEquals("--set", problems.get(0).file());
    }

    @Test
    void whatTheBackendSupportsPasses() throws Exception {
        LoadedConfig loaded = load("backend:\n  name: small\nprecision: float16\n", List.of());

        assertEquals(List.of(), BackendFit.problems(loaded, cpuFloat32StaticBackend()));
    }

    private static int line(List<ConfigProblem> problems, String key) {
        return problems.stream().filter(p -> p.keyPath().equals(key)).findFirst().orElseThrow().line();
    }
}
