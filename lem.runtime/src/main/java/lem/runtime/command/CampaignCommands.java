package lem.runtime.command;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import lem.runtime.campaign.CampaignExpansion;
import lem.runtime.campaign.CampaignFile;
import lem.runtime.campaign.CampaignException;
import lem.runtime.campaign.CampaignFolder;
import lem.runtime.campaign.CampaignRunner;
import lem.runtime.campaign.CampaignSpec;
import lem.runtime.campaign.CampaignSummary;
import lem.runtime.campaign.DurationEstimate;
import lem.runtime.campaign.Experiment;
import lem.runtime.campaign.PlannedRun;
import lem.runtime.campaign.RunRecord;
import lem.runtime.campaign.SourceTelemetry;
import lem.runtime.config.ConfigDocument;
import lem.runtime.config.ConfigProblem;
import lem.runtime.config.LoadedConfig;
import lem.runtime.run.InterruptKey;
import lem.runtime.run.RunServices;

/**
 * {@code lem:campaign} and {@code lem:sweep}: many experiments from one command, expanded and
 * checked before anything runs, run one at a time through the same runner as {@code lem:run},
 * resumable, summarised across campaign cycles.
 */
@Component(service = CampaignCommands.class, property = { "osgi.command.scope=lem",
        "osgi.command.function=campaign", "osgi.command.function=sweep" })
public class CampaignCommands {
    static final String CAMPAIGN_USAGE = "usage: lem campaign run <campaign.yaml> [--dry-run] | resume <campaign> [--slurm]"
            + " | show <campaign> [--runs] | list | submit --slurm <campaign.yaml | campaign> [--dry-run]"
            + " | collect <campaign> [--wait] [--poll-s S]  (--dir <results folder>, default results)"
            + " | on the host: start <campaign.yaml | id> | status [id] | pause <id> | cancel <id>"
            + " | schedule <campaign.yaml> --every 6h | --at 02:00,14:00 | schedules | unschedule <n>";
    static final String SWEEP_USAGE = "usage: lem sweep <config> --vary key.path=v1,v2,... [--vary ...] [--cycles N]"
            + " [--order grouped|interleaved|shuffled] [--seed S] [--gap-s S] [--on-failure continue|stop] [--dir results] [--dry-run]";
    private static final Pattern KEY_PATH = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final RunCommands runs;
    /** start, status, pause, cancel and schedules: campaigns in the background on this host. */
    private final BackgroundCampaigns background = new BackgroundCampaigns(this);
    private final SlurmCampaigns slurm = new SlurmCampaigns(this, new lem.runtime.campaign.slurm.SlurmClient());

    @Activate
    public CampaignCommands(@Reference RunCommands runs) {
        this.runs = runs;
    }

    /** Host shutdown: the background campaign's run in flight ends cleanly, and no thread is left. */
    @Deactivate
    void deactivate() {
        background.close();
    }

    @Descriptor("run, resume, show or list campaigns: a grid of configs run as many experiments, resumable;"
            + " start, status, pause, cancel, schedule, schedules, unschedule: in the background on this host")
    public Object campaign(CommandSession session,
            @Descriptor("run | resume | show | list | start | status | pause | cancel | schedule | schedules | unschedule") String action,
            @Descriptor("run: <campaign.yaml> [--dry-run]; resume/show: <campaign id, unique prefix or folder> "
                    + "[--runs]; option --dir <results folder> (default results)") String... args) throws IOException {
        if (BackgroundCampaigns.ACTIONS.contains(action)) {
            return background.command(action, args, session.getConsole());
        }
        Options o = Options.parse("lem campaign " + action, args, Set.of("--dir", "--task", "--poll-s"),
                Set.of("--dry-run", "--runs", "--slurm", "--wait"));
        PrintStream out = session.getConsole();
        Path resultsRoot = RunCommands.workingDirectory().resolve(o.one("--dir", "results"));
        try {
            switch (action) {
            case "run": {
                String file = single(o, "lem campaign run <campaign.yaml> [--dry-run]");
                return start(RunCommands.workingDirectory().resolve(file), file, o.flag("--dry-run"), out);
            }
            case "resume": {
                CampaignFolder folder = CampaignFolder.open(resultsRoot, single(o, "lem campaign resume <campaign> [--slurm]"));
                if (o.flag("--slurm")) {
                    return slurm.resubmit(folder, o.flag("--dry-run"), out);
                }
                if (background.holds(folder)) {
                    return background.command("start", new String[] { folder.path().toString() }, out);
                }
                Path file = Path.of(folder.plan().campaignFile());
                if (!Files.isRegularFile(file)) {
                    throw new CommandFailure("campaign " + folder.plan().campaignId() + " was planned from " + file
                            + ", which is gone; put it back to resume (its plan is in " + folder.path() + ")");
                }
                CampaignExpansion.Result expansion = expand(file, file.toString());
                int missing = folder.missing().size();
                out.println("campaign " + folder.plan().campaignId() + ": " + missing + " of " + folder.plan().runs().size()
                        + " runs to do");
                return runCampaign(folder, expansion.experiments(), out);
            }
            case "show": {
                CampaignFolder folder = CampaignFolder.open(resultsRoot, single(o, "lem campaign show <campaign>"));
                if (o.flag("--runs")) {
                    return CampaignTables.runs(folder);
                }
                return CampaignTables.summary(CampaignSummary.of(folder, CampaignSummary.DEFAULT_METRICS),
                        state(folder));
            }
            case "list": {
                List<List<String>> rows = new ArrayList<>();
                for (String id : CampaignFolder.ids(resultsRoot.resolve(CampaignFolder.CAMPAIGNS_DIR))) {
                    CampaignFolder folder = CampaignFolder.open(resultsRoot, id);
                    rows.add(List.of(id, folder.plan().name(), state(folder), folder.plan().campaignFile()));
                }
                return new ResultTables.Rows("Campaigns in " + resultsRoot, List.of("CAMPAIGN", "NAME", "STATE", "FILE"),
                        rows, List.of());
            }
            case "submit": {
                String target = single(o, "lem campaign submit --slurm <campaign.yaml | campaign> [--dry-run]");
                if (!o.flag("--slurm")) {
                    throw new CommandFailure("lem campaign submit: say where: --slurm (a Slurm job array is the only"
                            + " scheduler lem submits to); lem campaign run runs a campaign on this host");
                }
                return slurm.submit(target, resultsRoot, o.flag("--dry-run"), out);
            }
            case "run-task": {
                CampaignFolder folder = CampaignFolder.open(resultsRoot, single(o, "lem campaign run-task <campaign> --task N"));
                String task = o.one("--task", System.getenv("SLURM_ARRAY_TASK_ID"));
                if (task == null) {
                    throw new CommandFailure("lem campaign run-task: --task N is needed (outside Slurm; inside, it is "
                            + "SLURM_ARRAY_TASK_ID)");
                }
                return slurm.runTask(folder, task, out);
            }
            case "collect": {
                CampaignFolder folder = CampaignFolder.open(resultsRoot, single(o, "lem campaign collect <campaign> [--wait]"));
                String poll = o.one("--poll-s", String.valueOf(SlurmCampaigns.DEFAULT_POLL_SECONDS));
                double pollSeconds;
                try {
                    pollSeconds = Double.parseDouble(poll);
                } catch (NumberFormatException e) {
                    pollSeconds = -1;
                }
                if (!(pollSeconds >= 0.1 && pollSeconds <= 3600)) {
                    throw new CommandFailure("lem campaign collect: --poll-s '" + poll + "' is not seconds from 0.1 to 3600");
                }
                return slurm.collect(folder, o.flag("--wait"), pollSeconds, out);
            }
            default:
                throw new CommandFailure("lem campaign: unknown action '" + action + "'; " + CAMPAIGN_USAGE);
            }
        } catch (CampaignException e) {
            throw new CommandFailure("lem campaign " + action + ": " + e.getMessage());
        }
    }

    @Descriptor("run one config over every combination of --vary values: a campaign without a campaign file")
    public Object sweep(CommandSession session, @Descriptor("the experiment config (YAML or JSON)") String config,
            @Descriptor("--vary key.path=v1,v2,... (repeatable), --cycles N (campaign cycles), --order "
                    + "grouped|interleaved|shuffled, --seed S, --gap-s S, --on-failure continue|stop, --dir <results folder>, --dry-run") String... options)
            throws IOException {
        Options o = Options.parse("lem sweep", options,
                Set.of("--vary", "--cycles", "--order", "--seed", "--gap-s", "--on-failure", "--dir"), Set.of("--dry-run"));
        if (!o.positional.isEmpty() || o.all("--vary").isEmpty()) {
            throw new CommandFailure("lem sweep: " + (o.positional.isEmpty() ? "nothing to vary; " : "unexpected argument(s) "
                    + o.positional + "; ") + SWEEP_USAGE);
        }
        Path configPath = RunCommands.workingDirectory().resolve(config).toAbsolutePath().normalize();
        if (!Files.isRegularFile(configPath)) {
            throw new CommandFailure("lem sweep: config '" + config + "' not found");
        }
        Path resultsRoot = RunCommands.workingDirectory().resolve(o.one("--dir", "results")).toAbsolutePath().normalize();
        String text = sweepCampaign(configPath, resultsRoot, o);
        PrintStream out = session.getConsole();
        String baseName = configPath.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        String fileName = baseName + "-sweep-" + STAMP.format(Instant.now()) + ".yaml";
        if (o.flag("--dry-run")) {
            // nothing is written by a dry run but this file, removed again
            Path folder = Files.createTempDirectory("lem-sweep");
            Path file = folder.resolve(fileName);
            try {
                Files.writeString(file, text, StandardCharsets.UTF_8);
                return start(file, "lem sweep " + config, true, out, sweepArguments(fileName, o.all("--vary")));
            } finally {
                Files.deleteIfExists(file);
                Files.deleteIfExists(folder);
            }
        }
        Path sweeps = resultsRoot.resolve(CampaignFolder.CAMPAIGNS_DIR).resolve("sweeps");
        Files.createDirectories(sweeps);
        Path file = sweeps.resolve(fileName);
        Files.writeString(file, text, StandardCharsets.UTF_8);
        out.println("lem sweep: campaign file " + file + " (a resume reads it again)");
        return start(file, file.toString(), false, out, sweepArguments(fileName, o.all("--vary")));
    }

    /**
     * A problem found in the campaign file a sweep wrote, told as the argument the user typed: the
     * {@code --vary} whose key it concerns, else the sweep's options (the file is lem's, not theirs).
     */
    /** The campaign file's keys that a sweep's own options set. */
    private static final Map<String, String> SWEEP_OPTIONS = Map.of("cycles", "--cycles", "order", "--order", "seed",
            "--seed", "gap_s", "--gap-s", "on_failure", "--on-failure", "output_dir", "--dir");

    static java.util.function.UnaryOperator<ConfigProblem> sweepArguments(String sweepFileName, List<String> varies) {
        return p -> {
            if (!p.file().endsWith(sweepFileName)) {
                return p; // the base config's own problem: its file and line are the user's
            }
            String argument = SWEEP_OPTIONS.getOrDefault(p.keyPath(), "lem sweep options");
            for (String vary : varies) {
                String key = vary.substring(0, Math.max(0, vary.indexOf('='))).strip();
                if (!key.isEmpty() && (p.keyPath().equals(key) || p.keyPath().startsWith(key + ".")
                        || key.startsWith(p.keyPath() + "."))) {
                    argument = "--vary " + vary;
                    break;
                }
            }
            return new ConfigProblem(argument, p.keyPath(), 0, p.message());
        };
    }

    /** The campaign file that a sweep's options stand for; every value checked as YAML. */
    static String sweepCampaign(Path config, Path resultsRoot, Options o) {
        ObjectMapper json = new ObjectMapper();
        StringBuilder yaml = new StringBuilder("# written by lem sweep; lem campaign resume reads it again\n");
        try {
            String baseName = config.getFileName().toString().replaceFirst("\\.[^.]*$", "");
            yaml.append("name: ").append(json.writeValueAsString(baseName + "-sweep")).append('\n');
            yaml.append("base: ").append(json.writeValueAsString(config.toString())).append('\n');
            yaml.append("output_dir: ").append(json.writeValueAsString(resultsRoot.toString())).append('\n');
            yaml.append("grid:\n");
            Set<String> keys = new LinkedHashSet<>();
            for (String vary : o.all("--vary")) {
                int eq = vary.indexOf('=');
                String key = eq < 0 ? vary.strip() : vary.substring(0, eq).strip();
                if (eq < 0 || !KEY_PATH.matcher(key).matches() || vary.substring(eq + 1).isBlank()) {
                    throw new CommandFailure("lem sweep: --vary '" + vary + "' is not key.path=v1,v2,..., e.g. --vary batching.batch_size=1,2,4");
                }
                if (!keys.add(key)) {
                    throw new CommandFailure("lem sweep: " + key + " is varied twice; give all its values in one --vary");
                }
                Object values;
                try {
                    values = ConfigDocument.parseValue("[" + vary.substring(eq + 1) + "]");
                } catch (IllegalArgumentException e) {
                    throw new CommandFailure("lem sweep: --vary " + key + ": the values are not valid YAML: " + e.getMessage());
                }
                if (!(values instanceof List)) {
                    throw new CommandFailure("lem sweep: --vary " + key + ": expected comma-separated values");
                }
                yaml.append("  ").append(json.writeValueAsString(key)).append(": ").append(json.writeValueAsString(values))
                        .append('\n');
            }
            Map<String, String> scalars = new LinkedHashMap<>();
            scalars.put("cycles", "--cycles");
            scalars.put("order", "--order");
            scalars.put("seed", "--seed");
            scalars.put("gap_s", "--gap-s");
            scalars.put("on_failure", "--on-failure");
            for (Map.Entry<String, String> e : scalars.entrySet()) {
                String value = o.one(e.getValue(), null);
                if (value != null) {
                    Object parsed;
                    try {
                        parsed = ConfigDocument.parseValue(value);
                    } catch (IllegalArgumentException bad) {
                        throw new CommandFailure("lem sweep: " + e.getValue() + ": " + bad.getMessage());
                    }
                    yaml.append(e.getKey()).append(": ").append(json.writeValueAsString(parsed)).append('\n');
                }
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed YAML value is always JSON", e);
        }
        return yaml.toString();
    }

    private Object start(Path file, String shownAs, boolean dryRun, PrintStream out) throws IOException {
        return start(file, shownAs, dryRun, out, java.util.function.UnaryOperator.identity());
    }

    private Object start(Path file, String shownAs, boolean dryRun, PrintStream out,
            java.util.function.UnaryOperator<ConfigProblem> relabel) throws IOException {
        if (!dryRun) {
            // refused before anything is read or planned while another campaign holds the GPUs
            background.checkHostFree();
        }
        CampaignExpansion.Result expansion = expand(file, shownAs, List.of(), relabel);
        if (dryRun) {
            List<DurationEstimate> estimates = new ArrayList<>();
            for (Experiment e : expansion.experiments()) {
                estimates.add(DurationEstimate.of(e.loaded().config(),
                        RunCommands.workingDirectory().resolve(e.loaded().config().output().dir())));
            }
            Long seed = expansion.spec().seed();
            return CampaignTables.plan(expansion, estimates,
                    seed != null ? seed : ThreadLocalRandom.current().nextLong(), seed == null);
        }
        CampaignFolder folder = CampaignRunner.create(expansion, RunCommands.workingDirectory(), System.currentTimeMillis());
        out.println("campaign " + folder.plan().campaignId() + ": " + folder.plan().runs().size() + " runs ("
                + folder.plan().experiments().size() + " experiments x " + folder.plan().cycles() + " cycles, "
                + folder.plan().order().configName() + ", seed " + folder.plan().seed() + "); state in " + folder.path());
        return runCampaign(folder, expansion.experiments(), out);
    }

    /** Reads, expands and checks a campaign; every problem printed with file and line, then a failure. */
    CampaignExpansion.Result expand(Path file, String shownAs) {
        return expand(file, shownAs, List.of());
    }

    /** As {@link #expand(Path, String)}, with more problems of the same file (its {@code slurm:} section) reported together. */
    CampaignExpansion.Result expand(Path file, String shownAs, List<ConfigProblem> more) {
        return expand(file, shownAs, more, java.util.function.UnaryOperator.identity());
    }

    private CampaignExpansion.Result expand(Path file, String shownAs, List<ConfigProblem> more,
            java.util.function.UnaryOperator<ConfigProblem> relabel) {
        CampaignSpec spec = CampaignFile.read(file);
        Set<String> warnings = new LinkedHashSet<>();
        CampaignExpansion.Result expansion = CampaignExpansion.expand(spec, loaded -> check(loaded, warnings));
        warnings.forEach(w -> System.err.println("warning: " + w));
        List<ConfigProblem> problems = new ArrayList<>();
        expansion.problems().forEach(p -> problems.add(relabel.apply(p)));
        problems.addAll(more);
        RunCommands.failIfAny(problems, shownAs);
        return expansion;
    }

    /** What {@code lem config validate} checks beyond the schema: registered names and the backend's own checks. */
    private List<ConfigProblem> check(LoadedConfig loaded, Set<String> warnings) {
        List<ConfigProblem> problems = new ArrayList<>(runs.validate(loaded));
        if (problems.isEmpty()) {
            RunCommands.BackendCheck backend = runs.backendCheck(loaded);
            problems.addAll(backend.problems());
            backend.warnings().forEach(w -> warnings.add(w.toString()));
        }
        return problems;
    }

    private Object runCampaign(CampaignFolder folder, List<Experiment> experiments, PrintStream out) throws IOException {
        return runCampaign(folder, experiments, out, null);
    }

    /** Runs the campaign's missing runs, or only those of {@code only} (a Slurm array task's), when not null. */
    Object runCampaign(CampaignFolder folder, List<Experiment> experiments, PrintStream out, Set<Integer> only)
            throws IOException {
        CampaignRunner runner = newRunner(folder, experiments, out, new PrintedCampaignProgress(out));
        if (only != null) {
            runner.only(only);
        }
        CampaignRunner.Outcome outcome;
        // SIGTERM (a Slurm time limit, `timeout`) stops the campaign as Ctrl-C does: the run in flight is kept
        // incomplete and resume runs it again
        try (AutoCloseable gpus = background.holdHost(folder);
                InterruptKey key = InterruptKey.install(() -> runner.cancel("interrupted by Ctrl-C"),
                        () -> runner.cancel("terminated by SIGTERM"))) {
            outcome = runner.run();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception releasing) {
            throw new IOException("releasing the host lock: " + releasing.getMessage(), releasing);
        }
        return printOutcome(folder, outcome, out, only != null);
    }

    /** A campaign's runner: each run checked again and run by the experiment runner, its progress printed to {@code out}. */
    CampaignRunner newRunner(CampaignFolder folder, List<Experiment> experiments, PrintStream out,
            CampaignRunner.Progress progressOfCampaign) {
        return new CampaignRunner(folder, experiments, (experiment, run, cancellation) -> {
            LoadedConfig loaded = experiment.loaded();
            // checked again now: a backend bundle may have come or gone since the campaign started
            RunCommands.BackendCheck backend = runs.backendCheck(loaded);
            if (!backend.problems().isEmpty()) {
                throw new CommandFailure(String.join("; ", backend.problems().stream().map(ConfigProblem::toString).toList()));
            }
            RunServices services = runs.resolveServices(loaded.config(), backend.choice().chosen());
            ConsoleProgress progress = ConsoleProgress.forConsole(out);
            try {
                return runs.execute(loaded, services, progress, started -> cancellation.whileRunning(started::cancel));
            } finally {
                progress.finish();
            }
        }, progressOfCampaign).withTelemetry(new SourceTelemetry(runs.measuringSources()));
    }

    private static Object printOutcome(CampaignFolder folder, CampaignRunner.Outcome outcome, PrintStream out,
            boolean slurmTask) {
        String id = folder.plan().campaignId();
        String status = outcome.finished() ? "complete" : outcome.complete() + " of " + folder.plan().runs().size()
                + " runs complete";
        out.print(TableFormat.render(CampaignTables.summary(CampaignSummary.of(folder, CampaignSummary.DEFAULT_METRICS),
                status)));
        if (!outcome.finished()) {
            throw new CommandFailure("campaign " + id + ": " + outcome.left() + " run(s) not complete ("
                    + outcome.failed() + " failed or cancelled)" + (outcome.stopped() == null ? "" : "; stopped: "
                            + outcome.stopped()) + "; lem campaign resume " + id + (slurmTask ? " --slurm" : "") + " runs only those");
        }
        return null;
    }

    private static String state(CampaignFolder folder) {
        Map<RunRecord.State, Integer> counts = new LinkedHashMap<>();
        folder.records().values().forEach(r -> counts.merge(r.state(), 1, Integer::sum));
        int total = folder.plan().runs().size();
        int complete = counts.getOrDefault(RunRecord.State.COMPLETE, 0);
        StringBuilder text = new StringBuilder(complete == total ? "complete" : complete + "/" + total + " runs complete");
        counts.forEach((state, n) -> {
            if (state != RunRecord.State.COMPLETE) {
                text.append(", ").append(n).append(' ').append(state.name().toLowerCase(Locale.ROOT));
            }
        });
        return text.toString();
    }

    private static String single(Options o, String usage) {
        if (o.positional.size() != 1) {
            throw new CommandFailure("usage: " + usage);
        }
        return o.positional.get(0);
    }

    /** A line per run started and ended, and per pause. */
    static final class PrintedCampaignProgress implements CampaignRunner.Progress {
        private final PrintStream out;

        PrintedCampaignProgress(PrintStream out) {
            this.out = out;
        }

        @Override
        public void starting(PlannedRun run, Experiment experiment, int position, int count) {
            out.println("[campaign " + position + "/" + count + "] run " + run.index() + ": " + experiment.name()
                    + ", campaign cycle " + run.cycle());
        }

        @Override
        public void pausing(double seconds) {
            out.println("[campaign] pause " + DurationEstimate.format(seconds) + " s");
        }

        @Override
        public void coolingDown(lem.runtime.campaign.CoolDown coolDown) {
            out.println("[campaign] cooling down: until power is within " + DurationEstimate.format(coolDown.withinWatts())
                    + " W and temperature within " + DurationEstimate.format(coolDown.withinCelsius())
                    + " C of idle, at most " + DurationEstimate.format(coolDown.maxSeconds()) + " s");
        }

        @Override
        public void ended(RunRecord record) {
            out.println("[campaign] run " + record.index() + " " + record.state().name().toLowerCase(Locale.ROOT)
                    + (record.experimentId() == null ? "" : " " + record.experimentId())
                    + (record.reason() == null ? "" : ": " + record.reason())
                    + (record.coolDown() == null || record.coolDown().note().isEmpty() ? ""
                            : " (cool-down: " + record.coolDown().note() + ")"));
        }
    }
}
