package lem.runtime.run;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import lem.api.backend.BackendSettings;
import lem.api.backend.BackendValidation;
import lem.api.backend.BatchingMode;
import lem.api.backend.InferenceBackend;
import lem.api.backend.ValidationFinding;
import lem.api.backend.ValidationReport;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.runtime.config.ConfigProblem;
import lem.runtime.config.ExperimentConfig;
import lem.runtime.config.ExperimentConfig.PromptSource;
import lem.runtime.config.LoadedConfig;
import lem.runtime.config.Provenance;
import lem.runtime.config.SpellingSuggestion;
import lem.runtime.plugin.BackendChoice;
import lem.runtime.plugin.PluginService;
import lem.runtime.plugin.VersionPin;

/**
 * What a config asks of a backend that the backend cannot do, as config problems found before
 * anything runs: what its capabilities rule out (precision, device, batching, token budget, model
 * source), and what a backend that implements {@link BackendValidation} finds in its model, device
 * and own options, with the planned prompts checked against what the model takes.
 */
public final class BackendFit {
    private BackendFit() {
    }

    /**
     * @param problems what stops the config from running, each at the key to change
     * @param warnings what runs but deserves a word (float16 on a CPU, say)
     */
    public record Fit(List<ConfigProblem> problems, List<ConfigProblem> warnings) {
        public Fit {
            problems = List.copyOf(problems);
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * The backend a config names, chosen among the bundles that register that name.
     *
     * @param choice   the choice; null when {@code problems} is not empty
     * @param problems why no backend fits ({@code backend.name} or {@code backend.version})
     */
    public record Selection(BackendChoice choice, List<ConfigProblem> problems) {
        public Selection {
            problems = List.copyOf(problems);
        }
    }

    /** Chooses the config's backend among {@code registered} (see {@link BackendChoice}), honouring backend.version. */
    public static Selection select(LoadedConfig loaded, List<PluginService<InferenceBackend>> registered) {
        ExperimentConfig.Backend b = loaded.config().backend();
        Optional<VersionPin> pin;
        try {
            pin = b.version().map(VersionPin::parse);
        } catch (IllegalArgumentException e) {
            return new Selection(null, List.of(problem(loaded, "backend.version", e.getMessage())));
        }
        try {
            return new Selection(BackendChoice.among(registered, b.name(), pin), List.of());
        } catch (BackendChoice.NoMatch e) {
            return new Selection(null, List.of(problem(loaded, e.pinned() ? "backend.version" : "backend.name",
                    e.getMessage())));
        }
    }

    /** Only the problems of {@link #check}. */
    public static List<ConfigProblem> problems(LoadedConfig loaded, PluginService<InferenceBackend> backend) {
        return check(loaded, backend).problems();
    }

    /** Everything the backend's capabilities and its own validation find in the config; one problem per key. */
    public static Fit check(LoadedConfig loaded, PluginService<InferenceBackend> backend) {
        List<ConfigProblem> problems = capabilityProblems(loaded, backend);
        List<ConfigProblem> warnings = new ArrayList<>();
        if (backend.service() instanceof BackendValidation validation) {
            ExperimentConfig c = loaded.config();
            ValidationReport report = null;
            try {
                report = validation.validate(modelSpec(c), backendSettings(c));
            } catch (RuntimeException e) {
                // a plugin's bug is not the config's mistake: say so, and let the run find out
                warnings.add(problem(loaded, "backend.name", "the " + backend.name() + " backend failed to check this"
                        + " config (" + e + "); a mistake in it shows when the run opens the model"));
            }
            if (report != null) {
                Set<String> blamed = new HashSet<>(problems.stream().map(ConfigProblem::keyPath).toList());
                for (ValidationFinding finding : report.findings()) {
                    String key = keyOf(c, backend.name(), finding);
                    boolean error = finding.severity() == ValidationFinding.Severity.ERROR;
                    if (error && !blamed.add(key)) {
                        continue; // the capability check said it already
                    }
                    String written = finding.setting() == ValidationFinding.Setting.OPTION ? finding.option() : c.model().name();
                    String message = finding.message() + SpellingSuggestion.didYouMean(written, finding.candidates());
                    (error ? problems : warnings).add(problem(loaded, key, message));
                }
                problems.addAll(promptProblems(loaded, backend.name(), report));
            }
        }
        return new Fit(inFileOrder(problems), inFileOrder(warnings));
    }

    /** By file (in order of first mention), then line: the order a person reads and fixes them. */
    private static List<ConfigProblem> inFileOrder(List<ConfigProblem> problems) {
        List<String> files = problems.stream().map(ConfigProblem::file).distinct().toList();
        List<ConfigProblem> ordered = new ArrayList<>(problems);
        ordered.sort(java.util.Comparator.comparingInt((ConfigProblem p) -> files.indexOf(p.file()))
                .thenComparingInt(ConfigProblem::line));
        return ordered;
    }

    /** The config key a finding is about. */
    private static String keyOf(ExperimentConfig c, String backendName, ValidationFinding finding) {
        return switch (finding.setting()) {
        case MODEL -> c.model().path().isPresent() ? "model.path" : "model.name";
        case PRECISION -> "precision";
        case QUANTISATION -> "quantisation";
        case DEVICE -> "backend.device";
        case BATCHING -> "batching.strategy";
        case OPTION -> "backend." + backendName + "." + finding.option();
        };
    }

    /** Text prompts for a model without a tokenizer; synthetic prompts longer than the model takes. */
    private static List<ConfigProblem> promptProblems(LoadedConfig loaded, String backendName, ValidationReport report) {
        ExperimentConfig c = loaded.config();
        var prompts = c.prompts();
        String model = "model '" + c.model().path().map(Path::toString).orElse(c.model().name()) + "'";
        List<ConfigProblem> problems = new ArrayList<>();
        if (prompts.source() != PromptSource.SYNTHETIC && !report.textPrompts()) {
            String key = prompts.source() == PromptSource.FILE ? "prompts.file" : "prompts.inline";
            problems.add(problem(loaded, key, "the " + backendName + " backend cannot turn text prompts into tokens for "
                    + model + " (it has no tokenizer"
                    + (c.model().source() == ExperimentConfig.ModelSource.SYNTHETIC ? ": a synthetic model takes token ids" : "")
                    + "); use prompts.source: synthetic, or a model with a tokenizer"));
        }
        int max = report.maxSequenceTokens();
        if (prompts.source() == PromptSource.SYNTHETIC && max > 0) {
            var synthetic = prompts.synthetic();
            int newTokens = c.decoder().maxNewTokens();
            int needed = synthetic.inputTokensMax() + newTokens;
            if (needed > max) {
                String key = synthetic.fixedLength() ? "prompts.synthetic.input_tokens" : "prompts.synthetic.input_tokens_max";
                problems.add(problem(loaded, key, "prompts of " + synthetic.inputTokensMax() + " tokens + decoder.max_new_tokens "
                        + newTokens + " = " + needed + " positions, but " + model + " takes at most " + max
                        + " (prompt and new tokens together); make it at most " + Math.max(0, max - newTokens)
                        + (max > newTokens ? "" : ", and lower decoder.max_new_tokens")));
            }
        }
        return problems;
    }

    /** The model as the backend is asked to open it. */
    public static ModelSpec modelSpec(ExperimentConfig config) {
        var m = config.model();
        String name = m.path().map(Path::toString).orElse(m.name());
        return new ModelSpec(m.source().name().toLowerCase(Locale.ROOT), name, Precision.valueOf(config.precision().name()),
                config.quantisation().name().toLowerCase(Locale.ROOT), m.seed(), Map.of());
    }

    /** What the backend is asked for; {@link #check} has checked that it can do it. */
    public static BackendSettings backendSettings(ExperimentConfig config) {
        BatchingMode mode = BatchingMode.valueOf(config.batching().strategy().name());
        return new BackendSettings(config.backend().device(), mode, config.batching().batchSize(),
                config.batching().maxTokensPerBatch(), config.backendSettings());
    }

    private static List<ConfigProblem> capabilityProblems(LoadedConfig loaded, PluginService<InferenceBackend> backend) {
        ExperimentConfig c = loaded.config();
        var caps = backend.service().info().capabilities();
        String name = "the " + backend.name() + " backend";
        List<ConfigProblem> problems = new ArrayList<>();
        String precision = c.precision().name().toLowerCase(Locale.ROOT);
        if (caps.precisions().stream().noneMatch(p -> p.configName().equals(precision))) {
            problems.add(problem(loaded, "precision", name + " cannot compute in " + precision + "; it supports "
                    + caps.precisions().stream().map(p -> p.configName()).sorted().toList()));
        }
        String device = c.backend().device().split(":", 2)[0];
        if (!caps.devices().contains(device)) {
            problems.add(problem(loaded, "backend.device", name + " cannot run on " + c.backend().device() + "; it supports "
                    + caps.devices().stream().sorted().toList()));
        }
        String batching = c.batching().strategy().name();
        if (caps.batching().stream().noneMatch(b -> b.name().equals(batching))) {
            problems.add(problem(loaded, "batching.strategy", name + " does not support " + batching.toLowerCase(Locale.ROOT)
                    + " batching; it supports " + caps.batching().stream().map(b -> b.name().toLowerCase(Locale.ROOT)).sorted().toList()));
        }
        if (c.batching().maxTokensPerBatch() > 0 && !caps.tokenBudget()) {
            problems.add(problem(loaded, "batching.max_tokens_per_batch", name + " does not batch by token budget; "
                    + "remove the key or set it to 0"));
        }
        String source = c.model().source().name().toLowerCase(Locale.ROOT);
        if (!caps.modelSources().contains(source)) {
            problems.add(problem(loaded, "model.source", name + " cannot load " + source + " models; it supports "
                    + caps.modelSources().stream().sorted().toList()));
        }
        return problems;
    }

    private static ConfigProblem problem(LoadedConfig loaded, String keyPath, String message) {
        var origin = loaded.provenance().get(keyPath);
        if (origin != null && origin.file() != null) {
            return new ConfigProblem(origin.file(), keyPath, origin.line(), message);
        }
        // an override is blamed on --set; a default or preset value on the file that should change it
        String where = origin != null && Provenance.OVERRIDE.equals(origin.origin()) ? Provenance.OVERRIDE : loaded.file().toString();
        return new ConfigProblem(where, keyPath, 0, message);
    }
}
