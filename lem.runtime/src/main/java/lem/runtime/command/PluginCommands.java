package lem.runtime.command;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import lem.api.flops.FlopsEstimate;
import lem.api.flops.RequestShape;
import lem.api.flops.Workload;
import lem.api.model.ModelDescription;
import lem.api.model.Precision;
import lem.runtime.plugin.PluginCatalog;
import lem.runtime.plugin.PluginFolder;
import lem.runtime.results.FlopsAttempt;
import lem.runtime.run.FlopsChain;

/** {@code lem:backends}, {@code lem:energy}, {@code lem:flops}: what is plugged in now. */
@Component(service = PluginCommands.class, property = { "osgi.command.scope=lem",
        "osgi.command.function=backends", "osgi.command.function=energy", "osgi.command.function=flops" })
public class PluginCommands {
    private final PluginCatalog catalog;
    private final BundleContext context;

    @Activate
    public PluginCommands(BundleContext context) {
        this.catalog = new PluginCatalog(context);
        this.context = context;
    }

    PluginCommands(PluginCatalog catalog) {
        this.catalog = catalog;
        this.context = null;
    }

    @Descriptor("list the registered inference backends with their bundle, version and state, which bundle a run"
            + " uses when several register one name, and the jars in plugins/ that could not be installed")
    public Listings.Backends backends() {
        return Listings.Backends.of(catalog.backends(), context == null ? List.of()
                : PluginFolder.unusable(context).stream().map(PluginFolder.Unusable::toString).toList());
    }

    @Descriptor("list the registered energy sources, whether each can measure on this host, and why not")
    public Listings.EnergySources energy() {
        return new Listings.EnergySources(catalog.energySources().stream().map(Listings.EnergyRow::of).toList());
    }

    @Descriptor("list the registered FLOPs strategies in the order the runtime asks them")
    public Listings.FlopsStrategies flops() {
        return new Listings.FlopsStrategies(catalog.flopsStrategies().stream().map(Listings.FlopsRow::of).toList());
    }

    @Descriptor("FLOPs of one request on a model described by a Hugging Face config.json, through the strategy chain")
    public Table flops(@Descriptor("a config.json, or a model folder holding one") String model,
            @Descriptor("options: --prompt N (prompt tokens, default 128), --new M (generated tokens, default 128)") String... options) {
        Options o = Options.parse("lem flops", options, Set.of("--prompt", "--new"), Set.of());
        int prompt = o.integer("lem flops", "--prompt", 128, 1);
        int generated = o.integer("lem flops", "--new", 128, 1);
        Path path = Path.of(System.getProperty("user.dir")).resolve(model);
        if (Files.isDirectory(path)) {
            path = path.resolve("config.json");
        }
        if (!Files.isRegularFile(path)) {
            throw new CommandFailure("lem flops: " + path + " is not a config.json or a folder holding one");
        }
        Map<String, Object> config;
        try {
            config = new ObjectMapper().readValue(path.toFile(), new TypeReference<Map<String, Object>>() {
            });
        } catch (IOException e) {
            throw new CommandFailure("lem flops: cannot read " + path + ": " + e.getMessage());
        }
        checkPositions(path, config, prompt, generated);
        ModelDescription description = new ModelDescription(model, String.valueOf(config.getOrDefault("model_type", "unknown")), 0,
                Precision.FLOAT32, Precision.FLOAT32, "none", config);
        FlopsChain.Outcome outcome = new FlopsChain(catalog.flopsStrategies()).estimate(description,
                new Workload(List.of(new RequestShape(prompt, generated)), Optional.empty()));
        List<String> footer = new ArrayList<>();
        for (FlopsAttempt a : outcome.attempts()) {
            footer.add((a.answered() ? "answered: " : "declined: ") + a.strategy() + (a.answered() ? "" : " (" + a.reason() + ")"));
        }
        FlopsEstimate e = outcome.estimate();
        if (e == null) {
            throw new CommandFailure("lem flops: no strategy could answer for " + path + ": " + footer);
        }
        footer.addAll(e.notes().stream().map(n -> "note: " + n).toList());
        List<List<String>> rows = List.of(
                List.of("parameters", e.parameterCount() > 0 ? String.format(Locale.ROOT, "%,d", e.parameterCount()) : "unknown"),
                List.of("prefill FLOPs (" + prompt + " prompt tokens)", String.format(Locale.ROOT, "%,d", e.prefillFlops())),
                List.of("decode FLOPs (" + (generated - 1) + " steps after the first token)", String.format(Locale.ROOT, "%,d", e.decodeFlops())),
                List.of("total FLOPs", String.format(Locale.ROOT, "%,d", e.totalFlops())),
                List.of("method", e.strategy() + ", " + e.confidence().name().toLowerCase(Locale.ROOT) + " confidence"),
                List.of("compute precision", e.computePrecision() == null ? "-" : e.computePrecision().configName()));
        return new ResultTables.Rows("FLOPs of one request on " + path, List.of("QUANTITY", "VALUE"), rows, footer);
    }

    /**
     * A request of {@code prompt} tokens that generates {@code generated} feeds prompt + generated - 1
     * tokens through the model (the last one is never fed back): more than its positions cannot run.
     */
    static void checkPositions(Path path, Map<String, Object> config, int prompt, int generated) {
        for (String key : List.of("max_position_embeddings", "n_positions")) {
            if (config.get(key) instanceof Number positions) {
                long needed = (long) prompt + generated - 1;
                if (needed > positions.longValue()) {
                    throw new CommandFailure("lem flops: --prompt " + prompt + " and --new " + generated + " need "
                            + needed + " positions, but the model has " + positions.longValue() + " (" + key + " in "
                            + path + "); use at most " + positions.longValue() + " prompt + new - 1 tokens");
                }
                return;
            }
        }
    }
}
