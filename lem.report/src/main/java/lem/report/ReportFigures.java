package lem.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import lem.report.svg.Axis;
import lem.report.svg.Chart;
import lem.report.svg.IntervalChart;

/**
 * The report's figures from the experiments' files: power per device with prefill and decode
 * shaded and the idle baseline drawn; TTFT and ITL as empirical CDFs per experiment; energy per
 * output token and output throughput per experiment with their 95% CIs across cycles; the Pareto
 * scatter of J per output token against output tokens/s with the front marked.
 */
final class ReportFigures {
    /** A figure: a file-safe id (its .svg file's name), a caption and the SVG document. */
    record Figure(String id, String caption, String svg) {
    }

    static final double WIDTH_PX = 820;
    static final double HEIGHT_PX = 380;
    /** Power series longer than this are thinned to it for drawing (every k-th reading). */
    static final int MAX_POWER_POINTS = 3000;
    private static final String PREFILL_COLOR = "#E69F00";
    private static final String DECODE_COLOR = "#56B4E9";
    private static final String BASELINE_COLOR = "#444444";

    private ReportFigures() {
    }

    static List<Figure> all(List<ExperimentFiles> experiments) {
        List<Figure> figures = new ArrayList<>();
        for (int e = 0; e < experiments.size(); e++) {
            figures.addAll(power(experiments.get(e), e + 1));
        }
        latency(experiments, "ttft", "Time to first token", "TTFT", ExperimentFiles::ttftMs).ifPresent(figures::add);
        latency(experiments, "itl", "Inter-token latency", "ITL", ReportFigures::itlMs).ifPresent(figures::add);
        interval(experiments, "energy-per-token", "Energy per output token", "j_per_output_token", "J per output token",
                "J/token").ifPresent(figures::add);
        interval(experiments, "throughput", "Output throughput", "output_tokens_per_s", "output throughput", "tokens/s")
                .ifPresent(figures::add);
        pareto(experiments).ifPresent(figures::add);
        return figures;
    }

    /** One figure per device of the first cycle that has a power series. */
    static List<Figure> power(ExperimentFiles experiment, int number) {
        List<Figure> figures = new ArrayList<>();
        List<ExperimentFiles.Cycle> cycles = experiment.cycles();
        ExperimentFiles.Cycle cycle = cycles.stream().filter(c -> !c.power().isEmpty()).findFirst().orElse(null);
        if (cycle == null) {
            return figures;
        }
        long cyclesCount = cycles.stream().mapToInt(ExperimentFiles.Cycle::cycle).distinct().count();
        Map<String, List<ExperimentFiles.PowerPoint>> byDevice = new LinkedHashMap<>();
        for (ExperimentFiles.PowerPoint p : cycle.power()) {
            byDevice.computeIfAbsent(p.source() + "/" + p.deviceId(), k -> new ArrayList<>()).add(p);
        }
        long zero = cycle.windowStartNanos();
        List<double[]> prefill = new ArrayList<>();
        List<double[]> decode = new ArrayList<>();
        for (ExperimentFiles.Request r : cycle.requests()) {
            if (r.firstTokenNanos() > 0) {
                prefill.add(new double[] {seconds(r.startNanos(), zero), seconds(r.firstTokenNanos(), zero)});
                decode.add(new double[] {seconds(r.firstTokenNanos(), zero), seconds(r.endNanos(), zero)});
            }
        }
        List<double[]> prefillUnion = TimeSpans.union(prefill);
        List<double[]> decodeOnly = TimeSpans.subtract(TimeSpans.union(decode), prefillUnion);
        int d = 0;
        for (Map.Entry<String, List<ExperimentFiles.PowerPoint>> device : byDevice.entrySet()) {
            d++;
            List<ExperimentFiles.PowerPoint> points = device.getValue();
            int every = Math.max(1, (int) Math.ceil(points.size() / (double) MAX_POWER_POINTS));
            int n = (points.size() + every - 1) / every;
            double[] xs = new double[n];
            double[] ys = new double[n];
            for (int i = 0; i < n; i++) {
                ExperimentFiles.PowerPoint p = points.get(i * every);
                xs[i] = seconds(p.timestampNanos(), zero);
                ys[i] = p.powerWatts();
            }
            String source = points.get(0).source();
            String deviceId = points.get(0).deviceId();
            Double baseline = cycle.baselines().stream()
                    .filter(b -> b.deviceId().equals(deviceId) && b.source().equals(source))
                    .map(ExperimentFiles.Baseline::meanWatts).findFirst().orElse(null);
            double xMin = Math.min(Arrays.stream(xs).min().orElse(0), 0);
            double xMax = Math.max(Arrays.stream(xs).max().orElse(1), seconds(cycle.windowEndNanos(), zero));
            double yMax = Arrays.stream(ys).max().orElse(1);
            if (baseline != null) {
                yMax = Math.max(yMax, baseline);
            }
            Chart chart = new Chart("power-" + number + "-" + d, "Power of " + deviceId + " (" + source + "), "
                    + experiment.name + ", cycle " + cycle.cycle(), WIDTH_PX, HEIGHT_PX)
                    .axes(Axis.linear("time since the window opened", "s", xMin, xMax, 10),
                            Axis.linear("power", "W", 0, yMax, 8));
            chart.spans("prefill", PREFILL_COLOR, starts(prefillUnion), ends(prefillUnion));
            chart.spans("decode", DECODE_COLOR, starts(decodeOnly), ends(decodeOnly));
            if (baseline != null) {
                chart.horizontal("idle baseline", BASELINE_COLOR, baseline);
            }
            chart.line("power", Chart.PALETTE.get(0), xs, ys);
            figures.add(new Figure("power-" + number + "-" + d, "Power of " + deviceId + " (" + source + ") in cycle "
                    + cycle.cycle() + " of " + cyclesCount + " of " + experiment.id + ": prefill (a request's start to its first"
                    + " token) and decode (first token to end, where no request is in prefill) shaded; dashed: idle baseline"
                    + (baseline == null ? " (none measured)" : ""), chart.render()));
        }
        return figures;
    }

    private static double seconds(long nanos, long zero) {
        return (nanos - zero) / 1e9;
    }

    private static double[] starts(List<double[]> spans) {
        return spans.stream().mapToDouble(s -> s[0]).toArray();
    }

    private static double[] ends(List<double[]> spans) {
        return spans.stream().mapToDouble(s -> s[1]).toArray();
    }

    /** Every raw gap between consecutive token arrivals of a request, in ms, all cycles. */
    static List<Double> itlMs(ExperimentFiles experiment) {
        List<Double> gaps = new ArrayList<>();
        for (ExperimentFiles.Cycle c : experiment.cycles()) {
            for (ExperimentFiles.Request r : c.requests()) {
                for (int i = 1; i < r.tokenNanos().length; i++) {
                    gaps.add((r.tokenNanos()[i] - r.tokenNanos()[i - 1]) / 1e6);
                }
            }
        }
        return gaps;
    }

    /** The empirical CDF of each experiment's values: one step line per experiment. */
    static java.util.Optional<Figure> latency(List<ExperimentFiles> experiments, String id, String title, String short_,
            java.util.function.Function<ExperimentFiles, List<Double>> values) {
        Map<String, double[]> sorted = new LinkedHashMap<>();
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (ExperimentFiles e : experiments) {
            double[] v = values.apply(e).stream().mapToDouble(Double::doubleValue).filter(Double::isFinite).sorted().toArray();
            if (v.length > 0) {
                sorted.put(e.id, v);
                lo = Math.min(lo, v[0]);
                hi = Math.max(hi, v[v.length - 1]);
            }
        }
        if (sorted.isEmpty()) {
            return java.util.Optional.empty();
        }
        Chart chart = new Chart(id, title + " (" + short_ + "), empirical CDF", WIDTH_PX, HEIGHT_PX)
                .axes(Axis.auto(short_, "ms", lo, hi, 10), Axis.linear("share of " + (id.equals("itl") ? "gaps" : "requests"), "",
                        0, 1, 6));
        int i = 0;
        for (Map.Entry<String, double[]> e : sorted.entrySet()) {
            double[] v = e.getValue();
            double[] xs = new double[v.length + 1];
            double[] ys = new double[v.length + 1];
            xs[0] = v[0];
            ys[0] = 0;
            for (int k = 0; k < v.length; k++) {
                xs[k + 1] = v[k];
                ys[k + 1] = (k + 1) / (double) v.length;
            }
            chart.steps(e.getKey() + " (n=" + v.length + ")", Chart.PALETTE.get(i++ % Chart.PALETTE.size()), xs, ys);
        }
        return java.util.Optional.of(new Figure(id, title + " of every " + (id.equals("itl") ? "token gap" : "request")
                + ", all cycles, per experiment: the share at or below each value", chart.render()));
    }

    /** A metric's mean across cycles per experiment with its 95% CI (result.json's statistics). */
    static java.util.Optional<Figure> interval(List<ExperimentFiles> experiments, String id, String title, String metric,
            String label, String unit) {
        IntervalChart chart = new IntervalChart(id, title + " per experiment (mean of cycles)", label, unit);
        int rows = 0;
        for (ExperimentFiles e : experiments) {
            ExperimentFiles.Statistic s = e.statistic(metric);
            if (s != null && s.mean() != null) {
                chart.row(e.id, s.mean(), s.ciLow(), s.ciHigh());
                rows++;
            }
        }
        if (rows == 0) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Figure(id, title + " (" + metric + "): the mean of the cycle values, bars the 95% "
                + "t-interval of that mean from result.json (none with one cycle)", chart.render(WIDTH_PX)));
    }

    /** J per output token (min) against output tokens/s (max), pooled over cycles; the front filled and joined. */
    static java.util.Optional<Figure> pareto(List<ExperimentFiles> experiments) {
        List<double[]> points = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (ExperimentFiles e : experiments) {
            Double x = e.overall("output_tokens_per_second");
            Double y = e.overall("joules_per_output_token");
            if (x != null && y != null) {
                points.add(new double[] {x, y});
                ids.add(e.id);
            }
        }
        if (points.isEmpty()) {
            return java.util.Optional.empty();
        }
        List<Integer> front = new ArrayList<>();
        List<Integer> dominated = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) {
            boolean isDominated = false;
            for (int j = 0; j < points.size() && !isDominated; j++) {
                isDominated = j != i && dominates(points.get(j), points.get(i));
            }
            (isDominated ? dominated : front).add(i);
        }
        front.sort(Comparator.comparingDouble(i -> points.get(i)[0]));
        double xLo = points.stream().mapToDouble(p -> p[0]).min().orElse(0);
        double xHi = points.stream().mapToDouble(p -> p[0]).max().orElse(1);
        double yLo = points.stream().mapToDouble(p -> p[1]).min().orElse(0);
        double yHi = points.stream().mapToDouble(p -> p[1]).max().orElse(1);
        Chart chart = new Chart("pareto", "Energy per output token vs output throughput", WIDTH_PX, HEIGHT_PX)
                .axes(Axis.auto("output throughput", "tokens/s", xLo, xHi, 10), Axis.auto("energy per output token", "J/token",
                        yLo, yHi, 8));
        chart.line("Pareto front", Chart.PALETTE.get(1), coordinate(points, front, 0), coordinate(points, front, 1));
        chart.points("on the front", Chart.PALETTE.get(1), coordinate(points, front, 0), coordinate(points, front, 1),
                front.stream().map(i -> label(ids.get(i), points.get(i))).toList(), false);
        if (!dominated.isEmpty()) {
            chart.points("dominated", Chart.PALETTE.get(0), coordinate(points, dominated, 0), coordinate(points, dominated, 1),
                    dominated.stream().map(i -> label(ids.get(i), points.get(i))).toList(), true);
        }
        return java.util.Optional.of(new Figure("pareto", "Each experiment's J per output token against its output tokens/s "
                + "(all cycles pooled); filled and joined: the Pareto front (no other experiment has both more tokens/s and "
                + "fewer J per token); on the front: " + String.join(", ", front.stream().map(ids::get).toList()), chart.render()));
    }

    /** a is at least as good on both (more tokens/s, fewer J/token) and better on one. */
    static boolean dominates(double[] a, double[] b) {
        return a[0] >= b[0] && a[1] <= b[1] && (a[0] > b[0] || a[1] < b[1]);
    }

    private static double[] coordinate(List<double[]> points, List<Integer> which, int axis) {
        return which.stream().mapToDouble(i -> points.get(i)[axis]).toArray();
    }

    private static String label(String id, double[] p) {
        return id + ": " + lem.runtime.command.Numbers.format(p[0]) + " tokens/s, " + lem.runtime.command.Numbers.format(p[1])
                + " J/token";
    }
}
