package lem.runtime.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyMethod;
import lem.api.energy.EnergyReading;
import lem.api.model.ModelDescription;
import lem.api.model.Precision;
import lem.runtime.results.AggregatedResult;
import lem.runtime.results.Aggregator;
import lem.runtime.results.BackendIdentity;
import lem.runtime.results.MeasurementWindow;
import lem.runtime.results.RawResult;
import lem.runtime.results.RequestTimeline;
import lem.runtime.results.ResultsDirectory;
import lem.runtime.results.TokenArrival;
import lem.runtime.results.WallClockAnchor;

/**
 * The summary `lem run` prints, built from raw files through the real aggregation. Each cycle: one
 * second, two requests of 10 prompt tokens and 3 output tokens (first token after {@code ttft},
 * then every 5 ms), and a GPU counter figure.
 */
class ResultTablesTest {
    private static final long MS = 1_000_000L;
    /** t(0.975, 1), MEASUREMENT.md. */
    private static final double T_975_1 = 12.706;

    @TempDir
    Path root;

    private AggregatedResult aggregate(long[] ttftMs, double[] joules) throws IOException {
        long[] windowMs = new long[ttftMs.length];
        java.util.Arrays.fill(windowMs, 1000);
        return aggregate(ttftMs, joules, windowMs);
    }

    /** As above, each cycle's measured window {@code windowMs[c]} long. */
    private AggregatedResult aggregate(long[] ttftMs, double[] joules, long[] windowMs) throws IOException {
        ResultsDirectory dir = ResultsDirectory.create(root, "summary-test", "summary test");
        ModelDescription model = new ModelDescription("tiny", "gpt2", 1000, Precision.FLOAT32, Precision.FLOAT32, "none",
                Map.of());
        for (int c = 0; c < ttftMs.length; c++) {
            long base = c * 10_000 * MS;
            List<RequestTimeline> requests = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                long start = base + r * 100 * MS;
                long first = start + ttftMs[c] * MS;
                List<TokenArrival> tokens = List.of(new TokenArrival(first, 1), new TokenArrival(first + 5 * MS, 1),
                        new TokenArrival(first + 10 * MS, 1));
                requests.add(new RequestTimeline("c" + c + "r" + r, 10, 3, start, first, first + 10 * MS, tokens,
                        "length", null));
            }
            long end = base + windowMs[c] * MS;
            EnergyReading reading = new EnergyReading("nvml", base, end, List.of(new DeviceEnergy("GPU-0",
                    EnergyDomain.GPU, joules[c], EnergyMethod.COUNTER, false, "counter")), List.of(), List.of(), Map.of());
            dir.writeRaw(new RawResult(null, "summary-test", c + 1, 0, "host", new WallClockAnchor(1_700_000_000_000L, 0),
                    new MeasurementWindow(base, end), new BackendIdentity("djl", "0.1.0", "test"), model,
                    requests, List.of(reading), List.of(), null, null, List.of(), -1, List.of(), null, true, null));
        }
        return Aggregator.aggregate(dir.path());
    }

    private static Map<String, List<String>> rowsByMetric(ResultTables.Rows table) {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        table.rows().forEach(r -> rows.put(r.get(0), r));
        return rows;
    }

    private static double[] numbers(String line, String regex) {
        Matcher m = Pattern.compile(regex).matcher(line);
        assertTrue(m.find(), line + " ~ " + regex);
        double[] out = new double[m.groupCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Double.parseDouble(m.group(i + 1));
        }
        return out;
    }

    @Test
    void summaryShowsTheMetricsAndACiLinePerHeadlineMetricForTwoCycles() throws IOException {
        AggregatedResult result = aggregate(new long[] {10, 20}, new double[] {100, 120});

        ResultTables.Rows table = ResultTables.summary(result, "complete", "/results/summary-test");

        assertEquals("Experiment summary-test (summary test): complete", table.title());
        assertEquals(List.of("METRIC", "VALUE", "UNIT", "HOW"), table.headers());
        Map<String, List<String>> rows = rowsByMetric(table);
        assertEquals("4", rows.get("requests").get(1));
        assertEquals("40 / 12", rows.get("tokens in / out").get(1));
        assertEquals("2.000", rows.get("measured time").get(1));
        assertEquals("2 cycle(s)", rows.get("measured time").get(3));
        assertEquals("6.00", rows.get("throughput").get(1), "12 output tokens in 2 s (with 26.00 total tokens/s)");
        // TTFT samples 10, 10, 20, 20 ms: mean 15, median 15, p90 and p99 20
        assertEquals("15.00 / 15.00 / 20.00 / 20.00", rows.get("TTFT").get(1));
        assertEquals("ms", rows.get("TTFT").get(2));
        assertEquals("5.000 / 5.000 / 5.000 / 5.000", rows.get("ITL").get(1));
        assertEquals("raw gaps; trimmed mean n/a", rows.get("ITL").get(3), "3 tokens: no gap but the first and last");
        assertEquals("220.0", rows.get("energy").get(1));
        assertEquals("J", rows.get("energy").get(2));
        assertTrue(rows.get("energy").get(3).contains("nvml"));
        assertEquals("220.0", rows.get("energy, baseline-adjusted").get(1), "no baseline: adjusted equals raw");
        assertEquals("18.33", rows.get("energy per output token").get(1), "220 J / 12 tokens");
        assertEquals("adjusted 18.33", rows.get("energy per output token").get(3), "the same format as the value");
        assertEquals("-", rows.get("FLOPs").get(1));
        assertEquals("n/a", rows.get("peak device memory").get(1), "-1 in the raw files means unknown");
        assertEquals("", rows.get("peak device memory").get(2), "no unit after n/a");
        assertNull(result.overall().peakDeviceMemoryBytes());

        List<String> footer = table.footer();
        assertTrue(footer.get(0).startsWith("The figures above are pooled over cycles"), footer.get(0));
        assertTrue(footer.get(1).startsWith("Across cycles, the mean of the per-cycle values (not the pooled figure)"),
                footer.get(1));
        String energyLine = footer.stream().filter(l -> l.trim().startsWith("energy_raw_j ")).findFirst().orElseThrow();
        double[] e = numbers(energyLine, "n=2  mean of cycles ([-\\d.]+) J  sd ([-\\d.]+)  CV ([-\\d.]+)%  "
                + "t-CI \\[([-\\d.]+), ([-\\d.]+)\\]  geomean ([-\\d.]+) log-CI \\[([-\\d.]+), ([-\\d.]+)\\]");
        double sd = Math.sqrt(200); // 100 and 120 J
        double half = T_975_1 * sd / Math.sqrt(2);
        assertEquals(110, e[0], 0.05);
        assertEquals(sd, e[1], 0.05, "shown with the mean's decimals");
        assertEquals(100 * sd / 110, e[2], 0.01);
        assertEquals(110 - half, e[3], 0.05);
        assertEquals(110 + half, e[4], 0.1);
        // ln 100 = 4.605170, ln 120 = 4.787492: mean 4.696331 (geomean sqrt(100 x 120) = 109.5445),
        // s_ln = 0.182322 / sqrt(2) = 0.128921, half width 12.706 x 0.128921 / sqrt(2) = 1.158308
        // -> [e^3.538023, e^5.854639] = [34.399, 348.849]
        assertEquals(109.5, e[5], 0.05);
        assertEquals(34.399, e[6], 0.01);
        assertEquals(348.8, e[7], 0.05);
        // two cycles: said once for all metrics, not once per metric
        assertEquals(1, footer.stream().filter(l -> l.startsWith("warning: across cycles: only 2 cycles")).count(),
                footer.toString());
        String ttftLine = footer.stream().filter(l -> l.trim().startsWith("ttft_mean_ms ")).findFirst().orElseThrow();
        double[] t = numbers(ttftLine, "mean of cycles ([-\\d.]+) ms .* t-CI \\[([-\\d.]+), ([-\\d.]+)\\]");
        assertEquals(15, t[0], 0.001);
        assertEquals(15 - T_975_1 * Math.sqrt(50) / Math.sqrt(2), t[1], 0.01);
        assertEquals("Results: /results/summary-test", footer.get(footer.size() - 1));
    }

    @Test
    void pooledAndMeanOfCyclesAreLabelledAndExportedUnderTheirOwnNames() throws IOException {
        // 6 output tokens in 1 s, then in 3 s: cycles 6 and 2 tokens/s; pooled 12 / 4 s = 3, mean of cycles 4
        AggregatedResult result = aggregate(new long[] {10, 10}, new double[] {100, 100}, new long[] {1000, 3000});
        ResultTables.Rows table = ResultTables.summary(result, "complete", "d");
        List<String> throughput = rowsByMetric(table).get("throughput");
        assertEquals("3.00", throughput.get(1), "decimals shared with the row's larger total tokens/s");
        assertTrue(throughput.get(3).startsWith("pooled over cycles"), throughput.get(3));
        String line = table.footer().stream().filter(l -> l.trim().startsWith("output_tokens_per_s ")).findFirst()
                .orElseThrow();
        assertTrue(line.contains("mean of cycles 4.00 tokens/s"), line);
        assertTrue(line.contains("geomean 3.464 log-CI [0.003224, 3722]"), "sqrt(6 x 2); each end of the log-CI on its own: " + line);
        // the t-interval [-21.4, 29.4] of a throughput: said once, naming the metrics it concerns
        String belowZero = table.footer().stream().filter(l -> l.contains("reaches 0 or below")).findFirst().orElseThrow();
        assertTrue(belowZero.startsWith("warning: across cycles (output_tokens_per_s, total_tokens_per_s, requests_per_s"),
                belowZero);

        // the export: the pooled figure, and the mean of cycles beside its own interval
        // mean 4, s = sqrt(8), half width 12.706 x sqrt(8) / sqrt(2) = 25.412 -> [-21.412, 29.412];
        // geomean sqrt(12) = 3.46410, ln 6 and ln 2: s_ln = 1.098612 / sqrt(2), half width 6.979596
        // -> [e^(1.242453 - 6.979596), e^(1.242453 + 6.979596)] = [0.00322397, 3722.12]
        List<String> header = lem.runtime.results.ExperimentCsv.header();
        List<String> row = lem.runtime.results.ExperimentCsv.row(null, result, "x");
        Map<String, String> csv = new LinkedHashMap<>();
        for (int i = 0; i < header.size(); i++) {
            csv.put(header.get(i), row.get(i));
        }
        assertEquals(3.0, Double.parseDouble(csv.get("output_tokens_per_s_pooled")), 1e-9);
        assertEquals(4.0, Double.parseDouble(csv.get("output_tokens_per_s_cycle_mean")), 1e-9);
        assertEquals(-21.412, Double.parseDouble(csv.get("output_tokens_per_s_cycle_ci95_low")), 0.001);
        assertEquals(29.412, Double.parseDouble(csv.get("output_tokens_per_s_cycle_ci95_high")), 0.001);
        assertEquals(3.46410, Double.parseDouble(csv.get("output_tokens_per_s_cycle_geomean")), 1e-5);
        assertEquals(0.00322397, Double.parseDouble(csv.get("output_tokens_per_s_cycle_geomean_ci95_low")), 1e-8);
        assertEquals(3722.12, Double.parseDouble(csv.get("output_tokens_per_s_cycle_geomean_ci95_high")), 0.01);
        assertTrue(header.stream().noneMatch(h -> h.endsWith("half_width") || h.equals("output_tokens_per_s")),
                header.toString());
    }

    @Test
    void oneCycleSaysWhyThereIsNoInterval() throws IOException {
        AggregatedResult result = aggregate(new long[] {10}, new double[] {100});
        List<String> footer = ResultTables.summary(result, "complete", "d").footer();
        assertTrue(footer.contains("One cycle: no confidence interval (run with --cycles N, N >= 2, for one)."), footer.toString());
        assertTrue(footer.stream().noneMatch(l -> l.contains("CI [")), footer.toString());
    }

    @Test
    void theRenderedSummaryKeepsItsColumnsAligned() throws IOException {
        AggregatedResult result = aggregate(new long[] {10, 20}, new double[] {100, 120});
        ResultTables.Rows table = ResultTables.summary(result, "complete", "d");
        List<String> lines = TableFormat.render(table).lines().toList();
        String header = lines.get(1);
        int valueColumn = header.indexOf("VALUE");
        int unitColumn = header.indexOf("UNIT");
        // a long HOW wraps within its column: its continuation lines are blank up to it
        List<String> rowLines = lines.subList(3, 3 + lines.size() - 3).stream()
                .filter(l -> !l.substring(0, Math.min(l.length(), unitColumn)).isBlank()).toList();
        for (int i = 0; i < table.rows().size(); i++) {
            List<String> row = table.rows().get(i);
            String line = String.format("%-" + unitColumn + "s", rowLines.get(i));
            assertEquals(row.get(0), line.substring(0, valueColumn).stripTrailing(), line);
            assertEquals(row.get(1), line.substring(valueColumn, unitColumn).stripTrailing(), line);
        }
    }

    @Test
    void numbersHaveFourSignificantFiguresAndGoScientificWhenHugeOrTiny() {
        assertEquals("1235", ResultTables.num(1234.56));
        assertEquals("12.35", ResultTables.num(12.3456));
        assertEquals("0.1235", ResultTables.num(0.123456));
        assertEquals("1.235e+07", ResultTables.num(12_345_678.0));
        assertEquals("1.234e-05", ResultTables.num(0.00001234));
        assertEquals("0", ResultTables.num(0.0));
        assertEquals("n/a", ResultTables.num(Double.NaN));
        assertEquals("n/a", ResultTables.num((Double) null));
    }

    @Test
    void numbersShownTogetherShareTheLargestOnesFormat() {
        // 16.781 and 269.1 were printed side by side with 3 and 1 decimals
        assertEquals(List.of("16.8", "269.1"), List.of(Numbers.together(16.781, 269.1)));
        // no row mixes scientific and plain notation
        assertEquals(List.of("5.165e+09", "1.189e+06", "3.976e+09"), List.of(Numbers.together(5.165e9, 1.189e6, 3.976e9)));
        assertEquals(List.of("913", "1369"), List.of(Numbers.together(912.7, 1369.0)));
        assertEquals(List.of("n/a", "2.500"), List.of(Numbers.together(null, 2.5)));
    }

    @Test
    void everyRowOfARealSummaryUsesOneNotationAndOneNumberOfDecimals() throws IOException {
        AggregatedResult result = aggregate(new long[] {13, 27, 11}, new double[] {100.5, 1234.25, 9.75});
        ResultTables.Rows table = ResultTables.summary(result, "complete", "d");
        Pattern number = Pattern.compile("(?<![\\w.])-?\\d+(\\.\\d+)?(e[+-]\\d+)?(?![\\w.])");
        for (List<String> row : table.rows()) {
            String text = row.get(1) + " " + row.get(3);
            // counts and formulas are no measured numbers: "3 cycle(s)", "(tokens - 1)", "max(0, ...)"
            Matcher m = number.matcher(text.replaceAll("\\d+ cycle\\(s\\)|\\d+ (failed|period)|\\([^)]*\\)", ""));
            java.util.Set<String> shapes = new java.util.TreeSet<>();
            while (m.find()) {
                String n = m.group();
                shapes.add(n.contains("e") ? "scientific" : n.contains(".") ? n.substring(n.indexOf('.')).length() - 1 + " decimals" : "0 decimals");
            }
            if (!row.get(0).startsWith("tokens") && !row.get(0).equals("requests")) {
                assertTrue(shapes.size() <= 1, row + " mixes " + shapes);
            }
        }
    }

    @Test
    void aWarningRepeatedForEveryCycleIsPrintedOnceWithItsCycles() {
        List<String> lines = ResultTables.collapsedWarnings(List.of("cycle 1: no baseline for cpu", "cycle 2 process 0: no baseline for cpu",
                "cycle 2: power series write failed", "the energy total includes estimates"));

        assertEquals(List.of("warning: cycles 1, 2: no baseline for cpu", "warning: cycle 2: power series write failed",
                "warning: the energy total includes estimates"), lines);
    }

    @Test
    void aRunCutInCycleOneShowsItsRawFilesAndWhyNothingWasMeasured() throws IOException {
        ResultsDirectory dir = ResultsDirectory.create(root, "cut-test", "cut test");
        ModelDescription model = new ModelDescription("tiny", "gpt2", 1000, Precision.FLOAT32, Precision.FLOAT32, "none",
                Map.of());
        dir.writeRaw(new RawResult(null, "cut-test", 1, 0, "host", new WallClockAnchor(1_700_000_000_000L, 0),
                new MeasurementWindow(0, 500 * MS), new BackendIdentity("djl", "0.1.0", "test"), model, List.of(),
                List.of(), List.of(), null, null, List.of(), -1, List.of(), null, false, "interrupted by Ctrl-C"));
        dir.markIncomplete("interrupted by Ctrl-C");
        AggregatedResult result = Aggregator.aggregate(dir.path());

        ResultTables.Rows table = ResultTables.summary(result, "incomplete: interrupted by Ctrl-C", "/results/cut-test");

        assertEquals("Experiment cut-test (cut test): incomplete: interrupted by Ctrl-C", table.title());
        assertEquals(List.of(List.of("raw/cycle_1/process_0.json", "incomplete", "interrupted by Ctrl-C")), table.rows());
        assertEquals("Nothing measured: no cycle of this experiment is complete, so there are no metrics.",
                table.footer().get(0));
        assertTrue(table.footer().contains("warning: no cycle is complete: there are no metrics, only the list of raw files"),
                table.footer()::toString);
        assertTrue(TableFormat.render(table).contains("Results: /results/cut-test"));
    }

    /**
     * Three requests arrive together at 0 with objectives TTFT 150 ms; a starts at 0 and b at 0
     * (two slots), c waits for a slot until 300 ms. Tokens: a at 100 and 200 ms (one a chunk of 3),
     * b at 100 and 250 ms, c at 400 and 500 ms. The server-side view: queue, per-token ITL, the
     * plateau of 2 in flight (until a ends at 200 ms) and goodput 2 of 3 (c's TTFT from arrival is 400 ms).
     */
    @Test
    void queueingPerTokenItlTheSteadyStateAndGoodputAreShownWhenTheyApply() throws IOException {
        ResultsDirectory dir = ResultsDirectory.create(root, "served", "served");
        dir.writeConfig(Map.of("config", Map.of("slo", Map.of("ttft_ms", 150.0))));
        ModelDescription model = new ModelDescription("tiny", "gpt2", 1000, Precision.FLOAT32, Precision.FLOAT32, "none",
                Map.of());
        long t0 = 1000 * MS; // every request arrives at t0 (0 would read as "arrival unknown")
        List<RequestTimeline> requests = List.of(
                new RequestTimeline("a", 4, 4, t0, t0 + 100 * MS, t0 + 200 * MS,
                        List.of(new TokenArrival(t0 + 100 * MS, 1), new TokenArrival(t0 + 200 * MS, 3)), "length", null, t0),
                new RequestTimeline("b", 4, 2, t0, t0 + 100 * MS, t0 + 250 * MS,
                        List.of(new TokenArrival(t0 + 100 * MS, 1), new TokenArrival(t0 + 250 * MS, 1)), "length", null, t0),
                new RequestTimeline("c", 4, 2, t0 + 300 * MS, t0 + 400 * MS, t0 + 500 * MS,
                        List.of(new TokenArrival(t0 + 400 * MS, 1), new TokenArrival(t0 + 500 * MS, 1)), "length", null, t0));
        EnergyReading reading = new EnergyReading("nvml", t0, t0 + 500 * MS, List.of(new DeviceEnergy("GPU-0",
                EnergyDomain.GPU, 50, EnergyMethod.COUNTER, false, "counter")), List.of(), List.of(), Map.of());
        dir.writeRaw(new RawResult(null, "served", 1, 0, "host", new WallClockAnchor(1_700_000_000_000L, 0),
                new MeasurementWindow(t0, t0 + 500 * MS), new BackendIdentity("vllm", "0.1.0", "test"), model, requests,
                List.of(reading), List.of(), null, null, List.of(), -1, List.of(), null, true, null));

        Map<String, List<String>> rows = rowsByMetric(ResultTables.summary(dir.aggregate(), "complete", "d"));

        assertTrue(rows.get("queue").get(1).startsWith("100.0 / 0.0"), "mean of 0, 0 and 300 ms: " + rows.get("queue"));
        // per token: a's 3-token chunk after 100 ms gives 3 gaps of 33.3 ms; b one of 150, c one of 100:
        // mean (100 + 150 + 100) / 5 = 70, median 33.3
        assertTrue(rows.get("ITL per token").get(1).startsWith("70.0 / 33.3 / "), rows.get("ITL per token").toString());
        assertEquals("0.2000", rows.get("steady state").get(1), "a and b in flight together until a ends at 200 ms");
        assertTrue(rows.get("steady state").get(3).startsWith("2 requests in flight"), rows.get("steady state").toString());
        assertEquals("66.67", rows.get("goodput").get(1));
        assertTrue(rows.get("goodput").get(3).startsWith("2 of 3 met {ttft_ms=150.0} ms"), rows.get("goodput").toString());
        assertTrue(rows.get("TTFT").get(3).endsWith("from arrival"));
    }
}
