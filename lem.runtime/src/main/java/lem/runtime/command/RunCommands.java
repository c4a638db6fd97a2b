package lem.runtime.command;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import lem.api.energy.EnergySource;
import lem.api.backend.InferenceBackend;
import lem.api.flops.FlopsStrategy;
import lem.runtime.config.ConfigLoader;
import lem.runtime.config.ConfigProblem;
import lem.runtime.config.ExperimentConfig;
import lem.runtime.config.LoadedConfig;
import lem.runtime.plugin.BackendChoice;
import lem.runtime.plugin.PluginCatalog;
import lem.runtime.plugin.PluginService;
import lem.runtime.results.AggregatedResult;
import lem.runtime.results.ExperimentStatus;
import lem.runtime.results.ResultsDirectory;
import lem.runtime.results.RunState;
import lem.runtime.results.RunningProcess;
import lem.runtime.results.ResultStore;
import lem.runtime.results.ResultsFileException;
import lem.runtime.results.UnknownExperimentException;
import lem.runtime.run.BackendFit;
import lem.runtime.run.BaselineMeter;
import lem.runtime.run.EnvironmentCapture;
import lem.runtime.run.ExperimentRunner;
import lem.runtime.run.InterruptKey;
import lem.runtime.run.RunOutcome;
import lem.runtime.run.RunProgress;
import lem.runtime.run.RunServices;

/**
 * {@code lem:run}, {@code lem:config}, {@code lem:results}, {@code lem:aggregate}: experiments
 * from a config file to results on disk.
 */
@Component(service = RunCommands.class, property = { "osgi.command.scope=lem", "osgi.command.function=run",
        "osgi.command.function=config", "osgi.command.function=results", "osgi.command.function=aggregate" })
public class RunCommands {
    private final BundleContext context;
    private final PluginCatalog catalog;
    /** Lives as long as the host: a baseline taken for one run serves the next within its TTL. */
    final BaselineMeter baselines;

    @Activate
    public RunCommands(BundleContext context, @Reference BaselineMeter baselines) {
        this.context = context;
        this.catalog = new PluginCatalog(context);
        this.baselines = baselines;
    }

    @Descriptor("run an experiment from a config file and print its summary; results go to output.dir")
    public Table run(CommandSession session, @Descriptor("the experiment config (YAML or JSON)") String config,
            @Descriptor("options: --cycles N (repeat the measurement N times), --set key.path=value (repeatable), "
                    + "--dry-run (validate and show the plan without measuring)") String... options) throws IOException {
        Options o = Options.parse("lem run", options, Set.of("--cycles", "--set"), Set.of("--dry-run"));
        if (!o.positional.isEmpty()) {
            throw new CommandFailure("lem run: unexpected argument(s) " + o.positional + "; usage: lem run <config> [--cycles N] [--set k=v ...] [--dry-run]");
        }
        List<String> overrides = new ArrayList<>(o.all("--set"));
        if (!o.all("--cycles").isEmpty()) {
            overrides.add(ConfigLoader.cyclesOverride(o.integer("lem run", "--cycles", 1, 1)));
        }
        LoadedConfig loaded = loadValid(config, overrides);
        ExperimentConfig c = loaded.config();
        // everything checkable is checked before the energy sources are probed and anything is written
        BackendChoice backend = checkBackend(loaded, config);
        RunServices services = resolveServices(c, backend.chosen());
        // progress comes from the sampling thread too, which System.out would not route to this session
        PrintStream out = session.getConsole();
        backend.explanation().ifPresent(line -> out.println("note: " + line));
        if (o.flag("--dry-run")) {
            return plan(loaded, services);
        }
        out.println(TableFormat.wrap(String.format("lem run %s: %s on %s (%s), %s, %d cycle(s)", loaded.file(),
                c.model().name(), services.backend().name(), c.backend().device(), energyText(c, services), c.cycles()),
                "  "));
        ConsoleProgress progress = ConsoleProgress.forConsole(out);
        Execution execution;
        try {
            execution = execute(loaded, services, progress);
        } finally {
            progress.finish();
        }
        RunOutcome outcome = execution.outcome();
        InterruptKey key = execution.key();
        String status = outcome.complete() ? "complete" : "INCOMPLETE: " + outcome.reason();
        if (outcome.result() != null) {
            out.print(TableFormat.render(ResultTables.summary(outcome.result(), status, outcome.directory().toString())));
        }
        if (!outcome.complete()) {
            String message = "run " + outcome.experimentId() + " incomplete: " + outcome.reason()
                    + "; finished cycles are kept in " + outcome.directory();
            if (key.terminated()) {
                out.flush();
                System.err.println("lem: " + message);
                key.passOnTermination(); // the process ends here, as SIGTERM asked
            }
            throw new CommandFailure(message);
        }
        return null;
    }

    /** How to call {@code lem run}. */
    static final String RUN_USAGE = "usage: lem run <config> [--cycles N] [--set key.path=value ...] [--dry-run]";

    /** {@code lem run} without a config: Gogo would say "Cannot coerce run()"; say what is missing. */
    @Descriptor("run an experiment from a config file (lem run <config> [--cycles N] [--set k=v ...] [--dry-run])")
    public Table run(CommandSession session) {
        throw new CommandFailure("lem run: which experiment? name its config file; " + RUN_USAGE);
    }

    /** Runs one experiment with its services held until it ends; Ctrl-C or a service going away stops it cleanly. */
    Execution execute(LoadedConfig loaded, RunServices services, RunProgress progress) throws IOException {
        List<ExperimentRunner> started = new java.util.concurrent.CopyOnWriteArrayList<>();
        // SIGTERM (a scheduler's time limit, `timeout`) stops the run as Ctrl-C does, then ends the process
        InterruptKey key = InterruptKey.install(() -> started.forEach(r -> r.cancel("interrupted by Ctrl-C")),
                () -> started.forEach(r -> r.cancel("terminated by SIGTERM")));
        try {
            return new Execution(execute(loaded, services, progress, started::add), key);
        } finally {
            key.close();
        }
    }

    /** A run's outcome, and the key that says whether SIGTERM stopped it (closed once the run ended). */
    record Execution(RunOutcome outcome, InterruptKey key) {
    }

    /** Where the run's energy comes from, in words. */
    static String energyText(ExperimentConfig c, RunServices services) {
        if (c.energy().none()) {
            return "unmetered (energy.sources: none)";
        }
        return "energy from " + (services.energySources().isEmpty() ? "no source"
                : services.energySources().stream().map(PluginService::name).collect(Collectors.joining(", ")));
    }

    @Descriptor("check a config, or show it resolved (defaults, presets, inheritance, overrides applied)")
    public Object config(@Descriptor("validate | show") String action,
            @Descriptor("the experiment config (YAML or JSON)") String file,
            @Descriptor("options: --set key.path=value (repeatable); for show: --provenance (say where each value came from)") String... options) {
        Options o = Options.parse("lem config", options, Set.of("--set"), Set.of("--provenance"));
        switch (action) {
        case "validate" -> {
            LoadedConfig loaded = loadValid(file, o.all("--set"));
            BackendChoice backend = checkBackend(loaded, file);
            backend.explanation().ifPresent(line -> System.out.println("note: " + line));
            return "ok: " + loaded.file() + " is valid (" + loaded.provenance().size() + " settings) for backend "
                    + backend.chosen().name() + " from " + backend.chosen().bundle() + " " + backend.chosen().bundleVersion();
        }
        case "show" -> {
            LoadedConfig loaded = loadValid(file, o.all("--set"));
            if (o.flag("--provenance")) {
                return loaded.provenanceListing();
            }
            try {
                return new ObjectMapper(new YAMLFactory()).writeValueAsString(loaded.tree());
            } catch (IOException e) {
                throw new CommandFailure("lem config show: " + e.getMessage());
            }
        }
        default -> throw new CommandFailure("lem config: unknown action '" + action + "'; allowed: validate, show");
        }
    }

    @Descriptor("list, show, compare, export, pareto, correlate or query stored results")
    public Object results(@Descriptor("list | show <id> | compare <id-a> <id-b> [...] | export [--per-cycle] [--format csv|parquet]"
            + " [--out file] [id ...] | pareto --x <metric>:min|max --y <metric>:min|max [id ...] | correlate [--metric m] [id ...]"
            + " | query \"<SQL>\" [--csv out.csv] | query --schema") String action,
            @Descriptor("experiment ids (a unique prefix is enough); option --dir <results folder> (default results)") String... args) {
        if (ResultsAnalysisCommand.ACTIONS.contains(action)) {
            try {
                return ResultsAnalysisCommand.run(action, args, workingDirectory());
            } catch (UnknownExperimentException | ResultsFileException e) {
                throw new CommandFailure(e.getMessage());
            }
        }
        Options o = Options.parse("lem results", args, Set.of("--dir"), Set.of("--csv"));
        ResultStore store = store(o);
        try {
            switch (action) {
            case "list": {
                ResultStore.Listing listing = store.listing();
                ResultTables.Rows table = ResultTables.list(listing.experiments());
                return new ResultTables.Rows(table.title(), table.headers(), table.rows(),
                        listing.warnings().stream().map(w -> "warning: " + w).toList());
            }
            case "show": {
                String id = single("lem results show <id>", o.positional);
                AggregatedResult r = store.load(id);
                var dir = store.directory(r.experimentId());
                return ResultTables.summary(r, stateOf(dir), dir.path().toString());
            }
            default:
                throw new CommandFailure("lem results: unknown action '" + action + "'; allowed: list, show, compare, export, pareto, correlate, query");
            }
        } catch (UnknownExperimentException | ResultsFileException e) {
            throw new CommandFailure(e.getMessage());
        }
    }

    @Descriptor("recompute an experiment's result.json from its raw files alone and print the summary")
    public Table aggregate(@Descriptor("experiment id (a unique prefix is enough)") String id,
            @Descriptor("option --dir <results folder> (default results)") String... args) throws IOException {
        Options o = Options.parse("lem aggregate", args, Set.of("--dir"), Set.of());
        ResultStore store = store(o);
        try {
            AggregatedResult r = store.aggregate(id);
            var dir = store.directory(r.experimentId());
            return ResultTables.summary(r, "re-aggregated from raw files; " + stateOf(dir), dir.path().toString());
        } catch (UnknownExperimentException | ResultsFileException e) {
            throw new CommandFailure(e.getMessage());
        }
    }

    /** The state a reader should believe (dead for a running status whose process is gone), with its reason. */
    static String stateOf(ResultsDirectory dir) {
        ExperimentStatus status;
        try {
            status = dir.status();
        } catch (ResultsFileException e) {
            return "state unknown: " + e.getMessage();
        }
        if (status == null) {
            return "state unknown: no " + ResultsDirectory.STATUS_FILE;
        }
        RunState state = RunningProcess.effectiveState(status);
        String reason = state == RunState.DEAD ? RunningProcess.deathReason(status) : status.reason();
        return state.name().toLowerCase(Locale.ROOT) + (reason == null || reason.isEmpty() ? "" : ": " + reason);
    }

    private ResultStore store(Options o) {
        return new ResultStore(workingDirectory().resolve(o.one("--dir", "results")));
    }

    private static String single(String usage, List<String> positional) {
        if (positional.size() != 1) {
            throw new CommandFailure("usage: " + usage);
        }
        return positional.get(0);
    }

    static Path workingDirectory() {
        return Path.of(System.getProperty("user.dir"));
    }

    /** Loads and validates; every problem printed with file, key and line; a failure if any. */
    LoadedConfig loadValid(String file, List<String> overrides) {
        Path path = workingDirectory().resolve(file);
        LoadedConfig loaded = ConfigLoader.load(path, overrides);
        failIfAny(validate(loaded), file);
        return loaded;
    }

    /** Every problem of a loaded config, backend and energy source names checked against those registered now. */
    List<ConfigProblem> validate(LoadedConfig loaded) {
        Set<String> backends = catalog.backends().stream().map(PluginService::name).collect(Collectors.toCollection(TreeSet::new));
        Set<String> sources = catalog.energySources().stream().map(PluginService::name).collect(Collectors.toCollection(TreeSet::new));
        return ConfigLoader.validate(loaded, backends, sources);
    }

    /**
     * The config's backend, chosen among the bundles that register its name (honouring
     * backend.version) and asked what it finds wrong: its model, device and options, and the
     * prompts against the model. Warnings are printed; a problem fails the command.
     */
    BackendChoice checkBackend(LoadedConfig loaded, String file) {
        BackendCheck check = backendCheck(loaded);
        check.warnings().forEach(w -> System.err.println("warning: " + w));
        failIfAny(check.problems(), file);
        return check.choice();
    }

    /** The backend chosen for a config (null when none fits), what it finds wrong, and its warnings. */
    record BackendCheck(BackendChoice choice, List<ConfigProblem> problems, List<ConfigProblem> warnings) {
    }

    BackendCheck backendCheck(LoadedConfig loaded) {
        BackendFit.Selection selection = BackendFit.select(loaded, catalog.backends());
        List<ConfigProblem> problems = new ArrayList<>(selection.problems());
        List<ConfigProblem> warnings = new ArrayList<>();
        if (selection.choice() != null) {
            BackendFit.Fit fit = BackendFit.check(loaded, selection.choice().chosen());
            warnings.addAll(fit.warnings());
            problems.addAll(fit.problems());
        }
        return new BackendCheck(selection.choice(), problems, warnings);
    }

    /** Every problem printed with file, key and line, then a failure; nothing when there is none. */
    static void failIfAny(List<ConfigProblem> problems, String file) {
        if (!problems.isEmpty()) {
            PrintStream err = System.err;
            for (ConfigProblem p : problems) {
                err.println(p);
            }
            throw new CommandFailure(problems.size() + (problems.size() == 1 ? " problem" : " problems") + " in " + file
                    + "; nothing was run");
        }
    }

    /** Energy sources that measure here (no estimates): what a campaign's cool-down watches. */
    List<EnergySource> measuringSources() {
        return catalog.selectEnergySources(List.of(), false).available().stream().map(PluginService::service).toList();
    }

    RunServices resolveServices(ExperimentConfig c, PluginService<InferenceBackend> backend) {
        if (c.energy().none()) {
            return new RunServices(backend, List.of(), catalog.flopsStrategies(), bundles());
        }
        PluginCatalog.EnergySelection selection = catalog.selectEnergySources(
                c.energy().allAvailable() ? List.of() : c.energy().sources(), true);
        if (!selection.refused().isEmpty()) {
            throw new CommandFailure("energy source(s) named in the config cannot measure here: "
                    + String.join("; ", selection.refused()));
        }
        List<PluginService<EnergySource>> sources = selection.available();
        if (sources.isEmpty()) {
            System.err.println("warning: no energy source can measure here; the run records timings and FLOPs only");
        }
        return new RunServices(backend, sources, catalog.flopsStrategies(), bundles());
    }

    private Map<String, String> bundles() {
        Map<String, String> bundles = new TreeMap<>();
        for (Bundle b : context.getBundles()) {
            if (b.getSymbolicName() != null) {
                bundles.put(b.getSymbolicName(), b.getVersion().toString());
            }
        }
        return bundles;
    }

    private Table plan(LoadedConfig loaded, RunServices services) {
        ExperimentConfig c = loaded.config();
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("config", loaded.file().toString()));
        rows.add(List.of("backend", services.backend().name() + " " + services.backend().bundleVersion() + " on " + c.backend().device()));
        rows.add(List.of("model", c.model().source().name().toLowerCase(Locale.ROOT) + " " + c.model().name() + ", "
                + c.precision().name().toLowerCase(Locale.ROOT)));
        rows.add(List.of("requests", c.prompts().count() + " per cycle, " + c.prompts().source().name().toLowerCase(Locale.ROOT)
                + " prompts, " + c.decoder().minNewTokens() + ".." + c.decoder().maxNewTokens() + " new tokens"));
        rows.add(List.of("batching", c.batching().strategy().name().toLowerCase(Locale.ROOT) + ", batch size " + c.batching().batchSize()));
        rows.add(List.of("traffic", c.traffic().pattern().name().toLowerCase(Locale.ROOT)
                + c.traffic().targetQps().stream().mapToObj(q -> " at " + q + " requests/s").findFirst().orElse("")));
        rows.add(List.of("energy", c.energy().none() ? "none: unmetered (energy.sources: none)"
                : services.energySources().isEmpty() ? "none available"
                : services.energySources().stream().map(PluginService::name).collect(Collectors.joining(", "))));
        rows.add(List.of("baseline", c.energy().none() ? "none (no energy source)" : baselinePlan(c, services)));
        rows.add(List.of("warmup", c.warmup().enabled() ? c.warmup().minRequests() + ".." + c.warmup().maxRequests()
                + " requests in the cycles' batches until per-token decode time CV < " + c.warmup().cvThreshold() : "off"));
        rows.add(List.of("cycles", String.valueOf(c.cycles())));
        rows.add(List.of("FLOPs chain", services.flopsStrategies().stream().map(PluginService::name).collect(Collectors.joining(" > "))));
        rows.add(List.of("output", workingDirectory().resolve(c.output().dir()).toString()));
        rows.add(List.of("duration", DurationEstimate.describe(c, new ResultStore(workingDirectory().resolve(c.output().dir())))));
        return new ResultTables.Rows("Dry run: the config is valid; this is what would run", List.of("ITEM", "PLAN"), rows,
                List.of());
    }

    /** What the run's baseline will be: measured for how long, reused from the cache, or none and why. */
    private String baselinePlan(ExperimentConfig c, RunServices services) {
        if (!c.baseline().enabled()) {
            return "off: adjusted energy equals raw energy";
        }
        List<String> plans = new ArrayList<>();
        List<String> estimates = new ArrayList<>();
        long durationNanos = (long) (c.baseline().durationSeconds() * 1e9);
        long ttlNanos = java.util.concurrent.TimeUnit.SECONDS.toNanos(c.baseline().cacheTtlSeconds());
        for (PluginService<EnergySource> s : services.energySources()) {
            if (s.service().info().estimate()) {
                estimates.add(s.name());
                continue;
            }
            plans.add(baselines.reusable(s.name(), s.service(), durationNanos, ttlNanos)
                    .map(r -> s.name() + ": reused, taken " + age(r.ageNanos()) + " ago ("
                            + ResultTables.num(r.durationNanos() / 1e9) + " s)")
                    .orElse(s.name() + ": " + c.baseline().durationSeconds() + " s idle"));
        }
        if (plans.isEmpty()) {
            return "none: no energy source here measures power" + (estimates.isEmpty() ? ""
                    : " (" + String.join(", ", estimates) + " only estimate" + (estimates.size() == 1 ? "s" : "") + ")")
                    + "; adjusted energy equals raw energy";
        }
        if (!estimates.isEmpty()) {
            plans.add(String.join(", ", estimates) + ": not baselined (estimate)");
        }
        return String.join("; ", plans);
    }

    /** A duration as people say it: 42 s, 12 min, 2.5 h. */
    static String age(long nanos) {
        long seconds = java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(nanos);
        if (seconds < 120) {
            return seconds + " s";
        }
        return seconds < 7200 ? seconds / 60 + " min" : String.format(Locale.ROOT, "%.1f h", seconds / 3600.0);
    }

    /**
     * Runs one checked experiment with its services held until it ends, a departing service
     * cancelling it; {@code started} receives the runner before it starts, for a caller's cancel
     * (Ctrl-C, a campaign's).
     */
    RunOutcome execute(LoadedConfig loaded, RunServices services, RunProgress progress,
            java.util.function.Consumer<ExperimentRunner> started) throws IOException {
        List<PluginService<?>> held = new ArrayList<>();
        try {
            RunServices bound = hold(services, held);
            ExperimentRunner runner = new ExperimentRunner(loaded, bound, baselines, progress, new EnvironmentCapture(),
                    workingDirectory());
            ServiceListener watcher = departureWatcher(bound, runner);
            try {
                started.accept(runner);
                return runner.run();
            } finally {
                context.removeServiceListener(watcher);
            }
        } finally {
            held.forEach(catalog::release);
        }
    }

    /** The run's services, each held until the run ends (added to {@code held} for release). */
    private RunServices hold(RunServices services, List<PluginService<?>> held) {
        PluginService<InferenceBackend> backend = held(services.backend(), "backend", held);
        List<PluginService<EnergySource>> sources = new ArrayList<>();
        for (PluginService<EnergySource> s : services.energySources()) {
            sources.add(held(s, "energy source", held));
        }
        List<PluginService<FlopsStrategy>> strategies = new ArrayList<>();
        for (PluginService<FlopsStrategy> s : services.flopsStrategies()) {
            catalog.hold(s).ifPresent(h -> {
                held.add(h);
                strategies.add(h);
            });
        }
        return new RunServices(backend, sources, strategies, services.bundles());
    }

    private <S> PluginService<S> held(PluginService<S> s, String kind, List<PluginService<?>> held) {
        PluginService<S> h = catalog.hold(s).orElseThrow(() -> new CommandFailure(
                kind + " " + s.name() + " (bundle " + s.bundle() + ") went away before the run started"));
        held.add(h);
        return h;
    }

    /**
     * A bound service that leaves mid-run (its bundle stopped or updated) stops the run cleanly.
     * It is known by its registration: the object a departing component's bundle would hand out now
     * is not the one the run holds.
     */
    private ServiceListener departureWatcher(RunServices services, ExperimentRunner runner) {
        Map<ServiceReference<?>, String> watched = new LinkedHashMap<>();
        watched.put(services.backend().reference(), "backend " + services.backend().name() + " (bundle " + services.backend().bundle() + ")");
        for (PluginService<EnergySource> s : services.energySources()) {
            watched.put(s.reference(), "energy source " + s.name() + " (bundle " + s.bundle() + ")");
        }
        ServiceListener listener = event -> {
            if (event.getType() == ServiceEvent.UNREGISTERING) {
                String what = watched.get(event.getServiceReference());
                if (what != null) {
                    runner.cancel(what + " went away during the run");
                }
            }
        };
        context.addServiceListener(listener);
        return listener;
    }
}
