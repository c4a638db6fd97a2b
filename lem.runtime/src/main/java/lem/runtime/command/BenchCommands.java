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
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import lem.runtime.config.LoadedConfig;
import lem.runtime.results.CsvText;
import lem.runtime.results.MetricStatistics;
import lem.runtime.run.OverheadBenchmark;
import lem.runtime.run.OverheadBenchmark.Ratio;
import lem.runtime.run.OverheadBenchmark.Report;
import lem.runtime.run.OverheadBenchmark.Run;
import lem.runtime.run.OverheadBenchmark.SettingFigures;
import lem.runtime.run.RunProgress;
import lem.runtime.run.RunServices;

/**
 * {@code lem:bench overhead}: what lem's own meters cost the experiment they measure. Each run is a
 * whole {@code lem:run} of the config, kept under one folder with a CSV of every run.
 */
@Component(service = BenchCommands.class, property = { "osgi.command.scope=lem", "osgi.command.function=bench" })
public class BenchCommands {
    static final String RUNS_CSV = "overhead-runs.csv";
    static final String TABLE_FILE = "overhead.txt";
    private static final DateTimeFormatter FOLDER_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final RunCommands runs;

    @Activate
    public BenchCommands(@Reference RunCommands runs) {
        this.runs = runs;
    }

    @Descriptor("run an experiment alternately with meters off, on at 100 ms and on at 10 ms sampling, and print "
            + "throughput and decode time per setting with the on/off ratios")
    public Table bench(CommandSession session, @Descriptor("overhead") String benchmark,
            @Descriptor("the experiment config (YAML or JSON)") String config,
            @Descriptor("options: --repeats N (runs per setting, default 5), --seed S (shuffle each round's order "
                    + "with this seed; default off, 100 ms, 10 ms), --set key.path=value (repeatable)") String... options)
            throws IOException {
        String usage = "usage: lem bench overhead <config> [--repeats N] [--seed S] [--set k=v ...]";
        if (!"overhead".equals(benchmark)) {
            throw new CommandFailure("lem bench: unknown benchmark '" + benchmark + "'; allowed: overhead; " + usage);
        }
        Options o = Options.parse("lem bench overhead", options, Set.of("--repeats", "--seed", "--set"), Set.of());
        if (!o.positional.isEmpty()) {
            throw new CommandFailure("lem bench overhead: unexpected argument(s) " + o.positional + "; " + usage);
        }
        int repeats = o.integer("lem bench overhead", "--repeats", 5, 2);
        Long seed = o.all("--seed").isEmpty() ? null : (long) o.integer("lem bench overhead", "--seed", 0, 0);
        LoadedConfig base = runs.loadValid(config, o.all("--set"));
        if (base.config().energy().none()) {
            throw new CommandFailure("lem bench overhead: " + config + " sets energy.sources: none; the benchmark turns "
                    + "the meters off itself and needs sources to turn on (auto, or a list)");
        }
        var backend = runs.checkBackend(base, config).chosen();
        Path folder = RunCommands.workingDirectory().resolve(base.config().output().dir())
                .resolve("overhead-" + FOLDER_TIME.format(Instant.now()));
        List<String> shared = new ArrayList<>(o.all("--set"));
        shared.add("output.dir=" + folder);

        PrintStream out = session.getConsole();
        out.printf("lem bench overhead %s: %d runs per setting, %s, each a whole run of the config; results in %s%n",
                base.file(), repeats, seed == null ? "interleaved off, 100 ms, 10 ms" : "order shuffled per round (seed " + seed + ")",
                folder);
        Report report = OverheadBenchmark.run(repeats, seed, (setting, overrides) -> {
            List<String> all = new ArrayList<>(shared);
            all.addAll(overrides);
            LoadedConfig loaded = runs.loadValid(config, all);
            RunServices services = runs.resolveServices(loaded.config(), backend);
            return runs.execute(loaded, services, RunProgress.SILENT).outcome();
        }, run -> out.println(runLine(run, repeats)));

        Table table = table(report);
        Files.createDirectories(folder);
        Files.writeString(folder.resolve(TABLE_FILE), TableFormat.render(table), StandardCharsets.UTF_8);
        Files.writeString(folder.resolve(RUNS_CSV), runsCsv(report.runs()), StandardCharsets.UTF_8);
        if (report.stopped() != null) {
            out.print(TableFormat.render(table));
            throw new CommandFailure("lem bench overhead stopped: " + report.stopped() + "; finished runs are in " + folder);
        }
        return table;
    }

    private static String runLine(Run run, int repeats) {
        return String.format(Locale.ROOT, "  round %d/%d  %-18s  %s output tokens/s  %s ms/token  energy from %s  %s%s",
                run.round(), repeats, run.setting().label(), ResultTables.num(run.outputTokensPerSecond()),
                ResultTables.num(run.decodeMsPerToken()), run.energySources().isEmpty() ? "none" : String.join(", ", run.energySources()),
                run.experimentId(), run.reason() == null ? "" : "  INCOMPLETE: " + run.reason());
    }

    /** One row per setting: mean, sd and 95% interval of each figure, and the on/off ratios. */
    static ResultTables.Rows table(Report report) {
        List<List<String>> rows = new ArrayList<>();
        for (SettingFigures figures : report.settings()) {
            rows.add(List.of(figures.setting().label(), String.valueOf(figures.outputTokensPerSecond().n()),
                    spread(figures.outputTokensPerSecond()), spread(figures.decodeMsPerToken()),
                    ratio(figures.throughputRatio()), ratio(figures.decodeRatio())));
        }
        List<String> footer = new ArrayList<>();
        footer.add("Figures: mean +- sd [95% CI, mean +- t(0.975, n-1) sd / sqrt(n)] over the runs of a setting; "
                + "throughput = output tokens / measured time of a run; decode = mean TPOT, (E2E - TTFT) / (tokens - 1).");
        footer.add("ON/OFF: " + OverheadBenchmark.RATIO_METHOD + ".");
        if (report.stopped() != null) {
            footer.add("STOPPED EARLY: " + report.stopped());
        }
        return new ResultTables.Rows("The cost of measuring: " + report.runs().size() + " runs",
                List.of("SETTING", "RUNS", "OUTPUT TOKENS/S", "DECODE MS/TOKEN", "TOKENS/S ON/OFF", "MS/TOKEN ON/OFF"), rows,
                footer);
    }

    private static String spread(MetricStatistics s) {
        if (s.mean() == null) {
            return "-";
        }
        if (s.stdDev() == null) {
            return ResultTables.num(s.mean());
        }
        return ResultTables.num(s.mean()) + " +- " + ResultTables.num(s.stdDev()) + " [" + ResultTables.num(s.ciLow()) + ", "
                + ResultTables.num(s.ciHigh()) + "]";
    }

    private static String ratio(Ratio r) {
        if (r == null) {
            return "-";
        }
        String value = String.format(Locale.ROOT, "%.4f", r.ratio());
        return r.ciLow() == null ? value
                : value + String.format(Locale.ROOT, " [%.4f, %.4f]", r.ciLow(), r.ciHigh());
    }

    /** Every run: its round, setting, experiment and figures, for a reader who wants to redo the statistics. */
    static String runsCsv(List<Run> runs) {
        StringBuilder csv = new StringBuilder(CsvText.row(List.of("round", "setting", "experiment_id",
                "complete", "output_tokens_per_s", "decode_ms_per_token", "energy_sources"))).append('\n');
        for (Run run : runs) {
            csv.append(CsvText.row(List.of(String.valueOf(run.round()), run.setting().name().toLowerCase(Locale.ROOT),
                    run.experimentId(), String.valueOf(run.reason() == null), number(run.outputTokensPerSecond()),
                    number(run.decodeMsPerToken()), String.join(" ", run.energySources())))).append('\n');
        }
        return csv.toString();
    }

    private static String number(Double value) {
        return value == null ? "" : Double.toString(value);
    }
}
