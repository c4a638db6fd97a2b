package lem.runtime.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.api.backend.BackendInfo;
import lem.api.backend.BackendSettings;
import lem.api.backend.BackendValidation;
import lem.api.backend.BatchingMode;
import lem.api.backend.Capabilities;
import lem.api.backend.InferenceBackend;
import lem.api.backend.LoadedModel;
import lem.api.backend.Parallelism;
import lem.api.backend.ValidationFinding;
import lem.api.backend.ValidationFinding.Setting;
import lem.api.backend.ValidationReport;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.runtime.config.ConfigLoader;
import lem.runtime.config.ConfigProblem;
import lem.runtime.config.LoadedConfig;
import lem.runtime.plugin.PluginService;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /** A backend that checks its model as the djl one does: presets, an option, positions, no tokenizer. */
    private static final class CheckingBackend implements InferenceBackend, BackendValidation {
        final List<ModelSpec> asked = new ArrayList<>();
        final List<BackendSettings> settings = new ArrayList<>();
        RuntimeException failure;

        @Override
        public BackendInfo info() {
            return new BackendInfo("checking", "", "", new Capabilities(true, EnumSet.of(BatchingMode.STATIC), Set.of("cpu", "cuda"),
                    EnumSet.of(Precision.FLOAT32, Precision.FLOAT16), EnumSet.of(Parallelism.NONE), false, Set.of("synthetic", "local")));
        }

        @Override
        public LoadedModel open(ModelSpec model, BackendSettings settings) {
            throw new UnsupportedOperationException("not opened by this test");
        }

        @Override
        public ValidationReport validate(ModelSpec model, BackendSettings settings) {
            asked.add(model);
            this.settings.add(settings);
            if (failure != null) {
                throw failure;
            }
            List<ValidationFinding> findings = new ArrayList<>();
            if (!List.of("tiny", "small").contains(model.name())) {
                findings.add(new ValidationFinding(ValidationFinding.Severity.ERROR, Setting.MODEL, "",
                        "'" + model.name() + "' is not a preset", List.of("tiny", "small-model")));
            }
            if (settings.device().equals("cuda:99")) {
                findings.add(ValidationFinding.error(Setting.DEVICE, "device 'cuda:99' is not available"));
            }
            if (model.precision() == Precision.BFLOAT16) {
                findings.add(ValidationFinding.error(Setting.PRECISION, "no bfloat16 here either"));
            }
            if (model.precision() == Precision.FLOAT16) {
                findings.add(ValidationFinding.warning(Setting.PRECISION, "float16 on the CPU is slow"));
            }
            settings.options().keySet().forEach(key -> findings.add(
                    ValidationFinding.optionError(key, "option '" + key + "' is wrong", List.of("threads"))));
            return new ValidationReport(findings, 64, false);
        }
    }

    private static PluginService<InferenceBackend> service(InferenceBackend backend) {
        return new PluginService<>("checking", "test.checking", "1.0.0", "ACTIVE", 0, backend);
    }

    @Test
    void theBackendsOwnFindingsLandOnTheKeysToChangeWithTheirLines() throws Exception {
        CheckingBackend backend = new CheckingBackend();
        LoadedConfig loaded = load("""
                model:
                  name: smallmodel
                backend:
                  name: checking
                  device: cuda:99
                  checking:
                    bogus: 1
                    thread: -5
                precision: float16
                """, List.of());

        BackendFit.Fit fit = BackendFit.check(loaded, service(backend));

        assertEquals(List.of("model.name:2", "backend.device:5", "backend.checking.bogus:7", "backend.checking.thread:8"),
                fit.problems().stream().map(p -> p.keyPath() + ":" + p.line()).toList());
        assertEquals("'smallmodel' is not a preset; did you mean 'small-model'?", fit.problems().get(0).message());
        assertEquals("option 'thread' is wrong; did you mean 'threads'?", fit.problems().get(3).message());
        assertEquals("option 'bogus' is wrong", fit.problems().get(2).message());
        assertEquals(List.of("precision:9: float16 on the CPU is slow"),
                fit.warnings().stream().map(p -> p.keyPath() + ":" + p.line() + ": " + p.message()).toList());
        assertEquals("smallmodel", backend.asked.get(0).name());
        assertEquals(Map.of("bogus", 1L, "thread", -5L), backend.settings.get(0).options());
    }

    @Test
    void aLocalModelIsBlamedOnItsPathAndAMistakeTheCapabilitiesFoundIsSaidOnce() throws Exception {
        Path weights = Files.createDirectories(dir.resolve("weights"));
        LoadedConfig loaded = load("backend:\n  name: checking\nmodel:\n  source: local\n  path: weights\nprecision: bfloat16\n",
                List.of());

        List<ConfigProblem> problems = BackendFit.check(loaded, service(new CheckingBackend())).problems();

        assertEquals(List.of("model.path", "precision"), problems.stream().map(ConfigProblem::keyPath).toList());
        assertEquals("'" + weights + "' is not a preset", problems.get(0).message());
        assertTrue(problems.get(1).message().startsWith("the checking backend cannot compute in bfloat16"), problems.get(1).message());
    }

    @Test
    void textPromptsNeedATokenizerAndSyntheticPromptsMustFitThePositions() throws Exception {
        Path prompts = dir.resolve("prompts.txt");
        Files.writeString(prompts, "hello\n");
        LoadedConfig text = load("backend: {name: checking}\nmodel: {name: tiny}\nprompts:\n  source: file\n  file: prompts.txt\n",
                List.of());
        List<ConfigProblem> textProblems = BackendFit.check(text, service(new CheckingBackend())).problems();
        assertEquals(1, textProblems.size(), textProblems.toString());
        assertEquals("prompts.file", textProblems.get(0).keyPath());
        assertEquals(5, textProblems.get(0).line());
        assertTrue(textProblems.get(0).message().contains("cannot turn text prompts into tokens for model 'tiny'"),
                textProblems.get(0).message());

        LoadedConfig longPrompts = load("backend: {name: checking}\nmodel: {name: tiny}\ndecoder: {max_new_tokens: 8}\n"
                + "prompts:\n  synthetic:\n    input_tokens: 57\n", List.of());
        List<ConfigProblem> longProblems = BackendFit.check(longPrompts, service(new CheckingBackend())).problems();
        assertEquals(List.of("prompts.synthetic.input_tokens"), longProblems.stream().map(ConfigProblem::keyPath).toList());
        assertEquals(6, longProblems.get(0).line());
        assertEquals("prompts of 57 tokens + decoder.max_new_tokens 8 = 65 positions, but model 'tiny' takes at most 64"
                + " (prompt and new tokens together); make it at most 56", longProblems.get(0).message());

        LoadedConfig fits = load("backend: {name: checking}\nmodel: {name: tiny}\ndecoder: {max_new_tokens: 8}\n"
                + "prompts:\n  synthetic:\n    input_tokens: 56\n", List.of());
        assertEquals(List.of(), BackendFit.check(fits, service(new CheckingBackend())).problems());
    }

    @Test
    void aBackendWhoseCheckThrowsGivesAWarningNotARefusal() throws Exception {
        CheckingBackend backend = new CheckingBackend();
        backend.failure = new IllegalStateException("plugin bug");
        LoadedConfig loaded = load("backend: {name: checking}\n", List.of());

        BackendFit.Fit fit = BackendFit.check(loaded, service(backend));

        assertEquals(List.of(), fit.problems());
        assertEquals(1, fit.warnings().size());
        assertTrue(fit.warnings().get(0).message().contains("plugin bug"), fit.warnings().get(0).message());
    }

    private static PluginService<InferenceBackend> copy(String version, int ranking) {
        return new PluginService<>("small", "test.bundle", version, "ACTIVE", ranking, cpuFloat32StaticBackend().service());
    }

    @Test
    void ofTwoBundlesWithOneNameTheHigherVersionWinsUnlessRankedOrPinned() throws Exception {
        List<PluginService<InferenceBackend>> two = List.of(copy("0.1.0.SNAPSHOT", 0), copy("0.2.0", 0));
        LoadedConfig plain = load("backend:\n  name: small\n", List.of());

        BackendFit.Selection chosen = BackendFit.select(plain, two);
        assertEquals("0.2.0", chosen.choice().chosen().bundleVersion());
        assertTrue(chosen.choice().clash());
        assertEquals(Optional.of("backend 'small' is registered by 2 bundles (test.bundle 0.2.0 ranking 0, test.bundle"
                + " 0.1.0.SNAPSHOT ranking 0); using test.bundle 0.2.0 (highest service ranking, then highest bundle version;"
                + " pin another with backend.version)"), chosen.choice().explanation());
        assertEquals("0.2.0", BackendFit.select(plain, List.of(two.get(1), two.get(0))).choice().chosen().bundleVersion(),
                "the order of registration does not matter");

        List<PluginService<InferenceBackend>> ranked = List.of(copy("0.1.0.SNAPSHOT", 10), copy("0.2.0", 0));
        assertEquals("0.1.0.SNAPSHOT", BackendFit.select(plain, ranked).choice().chosen().bundleVersion());

        LoadedConfig pinned = load("backend:\n  name: small\n  version: 0.1.0\n", List.of());
        assertEquals("0.1.0.SNAPSHOT", BackendFit.select(pinned, two).choice().chosen().bundleVersion());
        LoadedConfig range = load("backend:\n  name: small\n  version: '[0.1,0.2)'\n", List.of());
        assertEquals("0.1.0.SNAPSHOT", BackendFit.select(range, two).choice().chosen().bundleVersion());
        assertFalse(BackendFit.select(plain, List.of(two.get(0))).choice().explanation().isPresent());
    }

    @Test
    void aPinThatNoBundleMatchesOrThatIsNoVersionIsAProblemAtBackendVersion() throws Exception {
        List<PluginService<InferenceBackend>> two = List.of(copy("0.1.0", 0), copy("0.2.0", 0));
        LoadedConfig missing = load("backend:\n  name: small\n  version: 1.2.3\n", List.of());
        BackendFit.Selection none = BackendFit.select(missing, two);
        assertNull(none.choice());
        assertEquals(1, none.problems().size());
        assertEquals("backend.version", none.problems().get(0).keyPath());
        assertEquals(3, none.problems().get(0).line());
        assertEquals("no bundle registering backend 'small' has a version in 1.2.3; registered: test.bundle 0.2.0 ranking 0,"
                + " test.bundle 0.1.0 ranking 0", none.problems().get(0).message());

        LoadedConfig garbled = load("backend:\n  name: small\n  version: newest\n", List.of());
        ConfigProblem problem = BackendFit.select(garbled, two).problems().get(0);
        assertEquals("backend.version", problem.keyPath());
        assertTrue(problem.message().startsWith("'newest' is neither a bundle version"), problem.message());

        LoadedConfig other = load("backend:\n  name: nosuch\n", List.of());
        assertEquals("backend.name", BackendFit.select(other, two).problems().get(0).keyPath());
    }

    private static int line(List<ConfigProblem> problems, String key) {
        return problems.stream().filter(p -> p.keyPath().equals(key)).findFirst().orElseThrow().line();
    }
}
