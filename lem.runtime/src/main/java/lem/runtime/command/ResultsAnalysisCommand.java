package lem.runtime.command;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import lem.runtime.analysis.ConfigCorrelations;
import lem.runtime.analysis.Correlation;
import lem.runtime.analysis.ExperimentComparison;
import lem.runtime.analysis.ParetoFront;
import lem.runtime.analysis.StoredExperiment;
import lem.runtime.analysis.WelchTest;
import lem.runtime.results.ResultStore;
import lem.runtime.results.SqlEngine;
import lem.runtime.results.TidyTable;
import lem.runtime.sql.ResultsSql;

/**
 * {@code lem results export | compare | pareto | correlate}: results as data, read from the
 * results folder on disk alone.
 */
final class ResultsAnalysisCommand {
    static final Set<String> ACTIONS = Set.of("export", "compare", "pareto", "correlate", "query");

    private ResultsAnalysisCommand() {
    }

    static Object run(String action, String[] args, Path workingDirectory) {
        return switch (action) {
        case "export" -> export(args, workingDirectory);
        case "compare" -> compare(args, workingDirectory);
        case "pareto" -> pareto(args, workingDirectory);
        case "correlate" -> correlate(args, workingDirectory);
        case "query" -> query(args, workingDirectory);
        default -> throw new CommandFailure("lem results: unknown action '" + action + "'");
        };
    }

    private static ResultStore store(Options o, Path workingDirectory) {
        return new ResultStore(workingDirectory.resolve(o.one("--dir", "results")));
    }

    /** The given experiments (ids or unique prefixes), or every experiment under the root when none is given. */
    private static List<Path> directories(ResultStore store, List<String> ids) {
        if (ids.isEmpty()) {
            try {
                return TidyTable.experimentDirectories(store.resultsRoot());
            } catch (IOException e) {
                throw new CommandFailure(store.resultsRoot() + " cannot be listed: " + e.getMessage());
            }
        }
        return ids.stream().map(id -> store.directory(id).path()).toList();
    }

    private static List<StoredExperiment> aggregated(List<Path> directories) {
        return directories.stream().map(StoredExperiment::read).filter(StoredExperiment::aggregated).toList();
    }

    static Object export(String[] args, Path workingDirectory) {
        Options o = Options.parse("lem results export", args, Set.of("--dir", "--out", "--format"), Set.of("--csv", "--per-cycle"));
        String format = o.one("--format", "csv").toLowerCase(Locale.ROOT);
        if (!format.equals("csv") && !format.equals("parquet")) {
            throw new CommandFailure("lem results export: --format '" + o.one("--format", "") + "' is not known; allowed: csv, parquet");
        }
        String out = o.one("--out", null);
        if (format.equals("parquet") && out == null) {
            throw new CommandFailure("lem results export --format parquet needs --out <file.parquet>: Parquet is binary, not for the console");
        }
        ResultsSql engine = format.equals("parquet") ? engine("lem results export --format parquet") : null;
        ResultStore store = store(o, workingDirectory);
        List<Path> directories = directories(store, o.positional);
        boolean perCycle = o.flag("--per-cycle");
        String csv = perCycle ? TidyTable.cyclesCsv(directories) : TidyTable.experimentsCsv(directories);
        if (out == null) {
            return csv;
        }
        Path file = workingDirectory.resolve(out);
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            if (engine == null) {
                Files.writeString(file, csv, StandardCharsets.UTF_8);
            } else {
                Path text = Files.createTempFile(file.toAbsolutePath().getParent(), ".export-", ".csv");
                try {
                    Files.writeString(text, csv, StandardCharsets.UTF_8);
                    engine.writeParquet(text, file, TidyTable.COLUMN_TYPES);
                } finally {
                    Files.deleteIfExists(text);
                }
            }
        } catch (IOException | ResultsSql.SqlFailure e) {
            throw new CommandFailure("lem results export: cannot write " + file + ": " + e.getMessage());
        }
        long rows = csv.lines().count() - 1;
        return "wrote " + rows + (perCycle ? " cycle row(s)" : " experiment row(s)") + " to " + file
                + (engine == null ? "" : " (Parquet)");
    }

    /** The SQL engine, or a failure that says which bundle is missing. */
    private static ResultsSql engine(String command) {
        return SqlEngine.current().orElseThrow(() -> new CommandFailure(command + ": " + SqlEngine.MISSING));
    }

    /** {@code lem results query "<SQL>" [--csv out.csv] [--dir results] | --schema}. */
    static Object query(String[] args, Path workingDirectory) {
        Options o = Options.parse("lem results query", args, Set.of("--dir", "--csv"), Set.of("--schema"));
        boolean schema = o.flag("--schema");
        if (schema ? !o.positional.isEmpty() : o.positional.size() != 1) {
            throw new CommandFailure("usage: lem results query \"<SQL>\" [--csv out.csv] [--dir <results folder>]"
                    + " | lem results query --schema; the SQL in one pair of quotes, over the views "
                    + String.join(", ", ResultsSql.VIEWS));
        }
        ResultsSql engine = engine("lem results query");
        ResultStore store = store(o, workingDirectory);
        Path root = store.resultsRoot();
        if (!Files.isDirectory(root)) {
            throw new CommandFailure("lem results query: no results folder " + root + " (give --dir <results folder>)");
        }
        ResultsSql.ResultsFolder folder = new ResultsSql.ResultsFolder(root, TidyTable.COLUMN_TYPES);
        try {
            TidyTable.ensure(root);
            if (schema) {
                List<List<String>> rows = new ArrayList<>();
                for (ResultsSql.View view : engine.schema(folder)) {
                    for (ResultsSql.Column column : view.columns()) {
                        rows.add(List.of(view.name(), column.name(), column.type()));
                    }
                }
                List<String> footer = new ArrayList<>();
                engine.schema(folder).forEach(v -> footer.add(v.name() + ": " + v.rowIs()));
                return new ResultTables.Rows("Views over " + root, List.of("VIEW", "COLUMN", "TYPE"), rows, footer);
            }
            String sql = o.positional.get(0);
            String csv = o.one("--csv", null);
            if (csv != null) {
                Path file = workingDirectory.resolve(csv);
                long n = engine.queryToCsv(folder, sql, file);
                return "wrote " + n + " row(s) to " + file;
            }
            ResultsSql.QueryResult result = engine.query(folder, sql);
            return new ResultTables.Rows("Query over " + root, result.columns(), readable(result),
                    List.of(result.rows().size() + " row(s); types: " + String.join(", ", result.types())
                            + "; floating-point columns shown to " + Numbers.SIGNIFICANT
                            + " significant figures (--csv writes them in full)"));
        } catch (ResultsSql.SqlFailure e) {
            throw new CommandFailure("lem results query: " + e.getMessage());
        } catch (IOException e) {
            throw new CommandFailure("lem results query: " + e.getMessage());
        }
    }

    /**
     * The query's rows as a person reads them: each floating-point column (DOUBLE, FLOAT, REAL,
     * DECIMAL) in the console's number format, shared down the column; other values as DuckDB gave them.
     */
    static List<List<String>> readable(ResultsSql.QueryResult result) {
        List<List<String>> rows = new ArrayList<>();
        result.rows().forEach(r -> rows.add(new ArrayList<>(r)));
        for (int c = 0; c < result.types().size(); c++) {
            String type = result.types().get(c).toUpperCase(java.util.Locale.ROOT);
            if (!(type.equals("DOUBLE") || type.equals("FLOAT") || type.equals("REAL") || type.startsWith("DECIMAL"))) {
                continue;
            }
            Double[] values = new Double[rows.size()];
            for (int r = 0; r < rows.size(); r++) {
                String text = rows.get(r).get(c);
                values[r] = text.isEmpty() ? null : Double.valueOf(text);
            }
            String[] shown = Numbers.together(values);
            for (int r = 0; r < rows.size(); r++) {
                if (values[r] != null) {
                    rows.get(r).set(c, shown[r]);
                }
            }
        }
        return rows;
    }

    static ResultTables.Rows compare(String[] args, Path workingDirectory) {
        Options o = Options.parse("lem results compare", args, Set.of("--dir"), Set.of());
        if (o.positional.size() < 2) {
            throw new CommandFailure("usage: lem results compare <id-a> <id-b> [<id-c> ...] [--dir <results folder>]");
        }
        ResultStore store = store(o, workingDirectory);
        List<StoredExperiment> experiments = directories(store, o.positional).stream().map(StoredExperiment::read).toList();
        return table(ExperimentComparison.of(experiments));
    }

    static ResultTables.Rows table(ExperimentComparison c) {
        List<List<String>> rows = new ArrayList<>();
        for (ExperimentComparison.ConfigDifference d : c.differences()) {
            List<String> row = new ArrayList<>(List.of("config " + d.key(), "", String.join(" | ", d.values()), "", "", "", "", "", ""));
            rows.add(row);
        }
        for (ExperimentComparison.MetricRow r : c.rows()) {
            WelchTest t = r.test();
            String ci = t == null || t.ciLow() == null ? "-" : "[" + ResultTables.num(t.ciLow()) + ", " + ResultTables.num(t.ciHigh()) + "]";
            String p = t == null ? "-" : t.pValue() == null ? "no spread" : pValue(t.pValue());
            rows.add(List.of(r.metric() + (c.ids().size() > 2 ? " (" + r.against() + ")" : ""), r.unit(),
                    ResultTables.num(r.a()) + " -> " + ResultTables.num(r.b()),
                    r.differencePercent() == null ? "-" : String.format(Locale.ROOT, "%+.1f%%", r.differencePercent()),
                    t == null ? "-" : ResultTables.num(t.meanA()) + " -> " + ResultTables.num(t.meanB()),
                    t == null ? "-" : ResultTables.num(t.difference()), ci, p,
                    t == null || t.degreesOfFreedom() == null ? "-" : String.format(Locale.ROOT, "%.1f", t.degreesOfFreedom())));
        }
        List<String> footer = new ArrayList<>();
        footer.add("A = " + c.ids().get(0) + "; compared: " + String.join(", ", c.ids().subList(1, c.ids().size())));
        footer.add("A -> B (pooled): all cycles together, as in the summary; DIFF OF MEANS and its 95% CI: B - A of the means of the cycle values; "
                + "p: Welch's t-test across cycles (two-sided), df: Welch-Satterthwaite");
        if (c.differences().isEmpty()) {
            footer.add("no config key differs");
        }
        c.unfair().forEach(note -> footer.add("unfair: " + note));
        return new ResultTables.Rows("Comparison of " + c.ids().size() + " experiments",
                List.of("CONFIG / METRIC", "UNIT", "A -> B (pooled)", "B vs A", "CYCLE MEANS A -> B", "DIFF OF MEANS",
                        "95% CI OF DIFF", "p (Welch)", "df"),
                rows, footer);
    }

    static ResultTables.Rows pareto(String[] args, Path workingDirectory) {
        Options o = Options.parse("lem results pareto", args, Set.of("--dir", "--x", "--y"), Set.of());
        String x = o.one("--x", null);
        String y = o.one("--y", null);
        if (x == null || y == null) {
            throw new CommandFailure("usage: lem results pareto --x <metric>:<min|max> --y <metric>:<min|max> [id ...]"
                    + " (e.g. --x j_per_output_token:min --y output_tokens_per_s:max)");
        }
        Axis ax = axis("--x", x);
        Axis ay = axis("--y", y);
        List<StoredExperiment> experiments = aggregated(directories(store(o, workingDirectory), o.positional));
        List<ParetoFront.Point> points = new ArrayList<>();
        List<String> without = new ArrayList<>();
        for (StoredExperiment e : experiments) {
            Double vx = e.value(ax.metric());
            Double vy = e.value(ay.metric());
            if (vx == null || vy == null) {
                without.add(e.id());
            } else {
                points.add(new ParetoFront.Point(e.id(), vx, vy));
            }
        }
        List<List<String>> rows = new ArrayList<>();
        for (ParetoFront.Entry entry : ParetoFront.of(points, ax.metric().column(), ax.goal(), ay.metric().column(), ay.goal())) {
            rows.add(List.of(entry.onFront() ? "front" : "dominated", entry.point().id(), ResultTables.num(entry.point().x()),
                    ResultTables.num(entry.point().y()), entry.why()));
        }
        List<String> footer = new ArrayList<>();
        footer.add(points.size() + " experiment(s); x = " + ax.metric().column() + " (" + ax.metric().unit() + ", "
                + ax.goal().name().toLowerCase(Locale.ROOT) + "imised), y = " + ay.metric().column() + " ("
                + ay.metric().unit() + ", " + ay.goal().name().toLowerCase(Locale.ROOT) + "imised); overall values");
        if (!without.isEmpty()) {
            footer.add("left out, without both metrics: " + String.join(", ", without));
        }
        return new ResultTables.Rows("Pareto front", List.of("", "EXPERIMENT", ax.metric().column().toUpperCase(Locale.ROOT),
                ay.metric().column().toUpperCase(Locale.ROOT), "WHY"), rows, footer);
    }

    record Axis(TidyTable.Metric metric, ParetoFront.Goal goal) {
    }

    static Axis axis(String option, String text) {
        int colon = text.lastIndexOf(':');
        String name = colon < 0 ? text : text.substring(0, colon);
        String goal = colon < 0 ? "" : text.substring(colon + 1).toLowerCase(Locale.ROOT);
        if (!goal.equals("min") && !goal.equals("max")) {
            throw new CommandFailure("lem results pareto: " + option + " '" + text + "' needs :min or :max after the metric"
                    + " (e.g. " + name + ":min)");
        }
        try {
            return new Axis(StoredExperiment.metric(name), goal.equals("min") ? ParetoFront.Goal.MIN : ParetoFront.Goal.MAX);
        } catch (IllegalArgumentException e) {
            throw new CommandFailure("lem results pareto: " + option + ": " + e.getMessage());
        }
    }

    static ResultTables.Rows correlate(String[] args, Path workingDirectory) {
        Options o = Options.parse("lem results correlate", args, Set.of("--dir", "--metric"), Set.of());
        List<TidyTable.Metric> metrics;
        try {
            metrics = o.all("--metric").isEmpty() ? TidyTable.METRICS : o.all("--metric").stream().map(StoredExperiment::metric).toList();
        } catch (IllegalArgumentException e) {
            throw new CommandFailure("lem results correlate: --metric: " + e.getMessage());
        }
        List<StoredExperiment> experiments = aggregated(directories(store(o, workingDirectory), o.positional));
        ConfigCorrelations c = ConfigCorrelations.of(experiments, metrics);
        List<List<String>> rows = new ArrayList<>();
        for (ConfigCorrelations.Row r : c.rows()) {
            Correlation k = r.correlation();
            rows.add(List.of(r.configKey(), r.metric(), String.valueOf(k.n()), coefficient(k.pearson()), pValue(k.pearsonP()),
                    coefficient(k.spearman()), pValue(k.spearmanP())));
        }
        List<String> footer = new ArrayList<>();
        footer.add(experiments.size() + " aggregated experiment(s); numeric config keys that vary, against overall metric values;"
                + " p: two-sided, t on n - 2 df; rows need " + ConfigCorrelations.MIN_EXPERIMENTS + " or more experiments");
        c.skipped().forEach(s -> footer.add("skipped " + s));
        if (rows.isEmpty()) {
            footer.add("no numeric config key varies over " + ConfigCorrelations.MIN_EXPERIMENTS + " or more experiments");
        }
        return new ResultTables.Rows("Correlations", List.of("CONFIG KEY", "METRIC", "n", "PEARSON r", "p", "SPEARMAN rho", "p"),
                rows, footer);
    }

    private static String coefficient(Double r) {
        return r == null ? "-" : String.format(Locale.ROOT, "%+.3f", r);
    }

    static String pValue(Double p) {
        if (p == null) {
            return "-";
        }
        return p > 0 && p < 1e-4 ? String.format(Locale.ROOT, "%.1e", p) : String.format(Locale.ROOT, "%.4f", p);
    }
}
