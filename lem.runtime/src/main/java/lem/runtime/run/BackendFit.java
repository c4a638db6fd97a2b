package lem.runtime.run;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import lem.api.backend.InferenceBackend;
import lem.runtime.config.ConfigProblem;
import lem.runtime.config.ExperimentConfig;
import lem.runtime.config.LoadedConfig;
import lem.runtime.config.Provenance;
import lem.runtime.plugin.PluginService;

/**
 * What a config asks of a backend that the backend says it cannot do (precision, device,
 * batching, token budget, model source), as config problems found before anything runs.
 */
public final class BackendFit {
    private BackendFit() {
    }

    public static List<ConfigProblem> problems(LoadedConfig loaded, PluginService<InferenceBackend> backend) {
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
