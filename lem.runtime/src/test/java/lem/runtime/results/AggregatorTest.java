package lem.runtime.results;

import static lem.runtime.results.Fixtures.MS;
import static lem.runtime.results.Fixtures.S;
import static lem.runtime.results.Fixtures.at;
import static lem.runtime.results.Fixtures.request;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.api.energy.PowerSample;

class AggregatorTest {
    private static final double EPS = 1e-9;

    @TempDir
    Path root;

    /**
     * Cycle 1 of two processes on one host. Process 0: window 0-4 s, one request (TTFT 100 ms, 2
     * tokens), GPU-0 400 J. Process 1: window 1-5 s, one request (TTFT 300 ms, 3 tokens), GPU-0 410 J
     * (the same board: double counted) and GPU-1 300 J.
     */
    private ResultsDirectory twoProcesses(String id, long secondStartNanos, long secondEndNanos) throws Exception {
        ResultsDirectory directory = ResultsDirectory.create(root, id, "two processes");
        try (PowerSeriesFile.Appender series = directory.openPowerSeries(1, 0)) {
            for (int second = 0; second <= 4; second++) {
                series.append("nvml", new PowerSample("GPU-0", second * S, 100, Map.of()));
            }
        }
        RawResult first = Fixtures.raw(id, 1, 0, 0, 4 * S,
                List.of(request("p0-r0", 5, 0, 200 * MS, at(100 * MS, 1), at(200 * MS, 1))),
                List.of(Fixtures.reading("nvml", 0, 4 * S, Fixtures.gpu("GPU-0", 400))),
                List.of(Fixtures.baseline("nvml", "GPU-0", 70)), ResultsDirectory.powerSeriesPath(1, 0));
        RawResult second = Fixtures.raw(id, 1, 1, secondStartNanos, secondEndNanos,
                List.of(request("p1-r0", 7, secondStartNanos, secondStartNanos + 500 * MS,
                        at(secondStartNanos + 300 * MS, 1), at(secondStartNanos + 400 * MS, 1),
                        at(secondStartNanos + 500 * MS, 1))),
                List.of(Fixtures.reading("nvml", secondStartNanos, secondEndNanos, Fixtures.gpu("GPU-0", 410),
                        Fixtures.gpu("GPU-1", 300))),
                List.of(), null);
        directory.writeRaw(first);
        directory.writeRaw(second);
        return directory;
    }

    @Test
    void twoProcessesAreSummedWithTheSharedGpuCountedOnce() throws Exception {
        ResultsDirectory directory = twoProcesses("exp", 1 * S, 5 * S);

        AggregatedResult result = Aggregator.aggregate(directory.path());

        WorkloadMetrics overall = result.overall();
        assertEquals(2, result.processesPerCycle());
        assertEquals(5, overall.outputTokens());
        assertEquals(12, overall.inputTokens());
        assertEquals(5 * S, overall.windowNanos()); // 0 s to 5 s
        assertEquals(1.0, overall.outputTokensPerSecond(), EPS);
        assertEquals(700.0, overall.energy().rawJoules(), EPS); // GPU-0 once (400) + GPU-1 (300)
        // GPU-0 less its 70 W idle over process 0's 4 s window (400 - 280 = 120), GPU-1 without baseline 300
        assertEquals(420.0, overall.energy().adjustedJoules(), EPS);
        assertEquals(200.0, overall.latency().ttftMs().mean(), EPS); // 100 and 300 ms
        assertTrue(result.warnings().stream().anyMatch(w -> w.contains("GPU GPU-0 was reported by process 0 and by "
                + "process(es) [1]")), result.warnings().toString());
        assertFalse(result.warnings().stream().anyMatch(w -> w.contains("did not overlap")));
        assertNotNull(overall.phaseEnergy()); // process 0's series covers GPU-0; GPU-1 is shared at its mean power
        assertEquals(700.0, overall.phaseEnergy().splitJoules(), EPS);
        assertEquals(700.0, overall.phaseEnergy().prefillJoules() + overall.phaseEnergy().decodeJoules()
                + overall.phaseEnergy().otherJoules(), 1e-6);
        assertEquals("two processes", result.name());
        assertTrue(result.complete());
        assertEquals(1, result.statistic("output_tokens_per_s").n());
    }

    @Test
    void aTemporaryFileLeftByACrashIsIgnored() throws Exception {
        ResultsDirectory directory = twoProcesses("crash", 1 * S, 5 * S);
        Files.writeString(directory.path().resolve("raw/cycle_1/.tmp-process_2.json.k3j.part"), "{\"schema_ver");
        AggregatedResult result = directory.aggregate();
        assertEquals(2, result.rawFiles().size());
        assertTrue(result.complete());
    }

    @Test
    void processesThatDidNotOverlapAreReported() throws Exception {
        ResultsDirectory directory = twoProcesses("apart", 5 * S, 6 * S);
        AggregatedResult result = Aggregator.aggregate(directory.path());
        assertTrue(result.warnings().stream().anyMatch(w -> w.contains("cycle 1: processes 0 and 1 did not overlap")),
                result.warnings().toString());
    }

    @Test
    void reAggregationReproducesTheStoredResult() throws Exception {
        ResultsDirectory directory = twoProcesses("again", 1 * S, 5 * S);
        AggregatedResult first = directory.aggregate();
        directory.writeResult(first);
        directory.markComplete();

        AggregatedResult second = new ResultStore(root).aggregate("again");

        assertEquals(first, second);
        assertEquals(first, directory.result());
        assertArrayEquals(ResultsJson.toBytes(first), Files.readAllBytes(directory.path().resolve("result.json")));
    }

    @Test
    void incompleteCyclesAreListedButLeftOutOfStatistics() throws Exception {
        String id = "cut";
        ResultsDirectory directory = ResultsDirectory.create(root, id, "cut short");
        long[] durations = {2, 4, 5};
        for (int cycle = 1; cycle <= 3; cycle++) {
            long start = cycle * 100 * S;
            long end = start + durations[cycle - 1] * S;
            // 10 output tokens per cycle, so throughput is 5, 2.5 and 2 tokens/s
            RequestTimeline request = request("c" + cycle, 1, start, start + S, at(start + S / 10, 5),
                    at(start + S, 5));
            directory.writeRaw(Fixtures.raw(id, cycle, 0, start, end, List.of(request),
                    List.of(Fixtures.reading("nvml", start, end, Fixtures.gpu("GPU-0", 100.0 * cycle))), List.of(),
                    null));
        }
        RawResult interrupted = new RawResult("1", id, 4, 0, "host-a", new WallClockAnchor(0, 0),
                new MeasurementWindow(400 * S, 401 * S), new BackendIdentity("djl", "", ""), null, List.of(), List.of(),
                List.of(), null, null, List.of(), -1, List.of(), null, false, "interrupted by Ctrl-C");
        directory.writeRaw(interrupted);

        AggregatedResult result = directory.aggregate();

        assertFalse(result.complete());
        assertEquals(3, result.cyclesMeasured());
        assertEquals(4, result.rawFiles().size());
        RawFileEntry cut = result.rawFiles().get(3);
        assertFalse(cut.includedInStatistics());
        assertEquals("interrupted by Ctrl-C", cut.incompleteReason());
        assertTrue(result.warnings().stream().anyMatch(w -> w.contains("interrupted by Ctrl-C")));

        MetricStatistics throughput = result.statistic("output_tokens_per_s");
        assertEquals(List.of(5.0, 2.5, 2.0), throughput.values());
        // by hand: mean 9.5 / 3 = 3.166667; s = sqrt((1.833333^2 + 0.666667^2 + 1.166667^2) / 2)
        // = sqrt(186 / 72) = 1.607275; t(0.975, 2 df) = 4.302653 (t table); half width
        // 4.302653 x 1.607275 / sqrt(3) = 3.992693: the interval is -0.826026 .. 7.159359
        assertEquals(3.166667, throughput.mean(), 1e-6);
        assertEquals(1.607275, throughput.stdDev(), 1e-6);
        assertEquals(4.302653, throughput.tValue(), 1e-6);
        assertEquals(-0.826026, throughput.ciLow(), 1e-6);
        assertEquals(7.159359, throughput.ciHigh(), 1e-6);
        assertEquals(30, result.overall().outputTokens());
        assertEquals(600.0, result.overall().energy().rawJoules(), EPS);
        // each complete cycle's request got its 10 tokens in two chunks of 5: 3 x 2 chunks
        assertEquals(6, result.overall().latency().multiTokenChunks());
    }

    @Test
    void aRunCutBeforeItsFirstCycleEndedGivesAResultThatSaysNothingWasMeasuredAndWhy() throws Exception {
        ResultsDirectory directory = ResultsDirectory.create(root, "empty", "empty");
        directory.markIncomplete("interrupted by Ctrl-C");

        AggregatedResult result = directory.aggregate();

        assertFalse(result.complete());
        assertEquals(0, result.cyclesMeasured());
        assertEquals(null, result.overall());
        assertEquals(List.of(), result.rawFiles());
        assertEquals(List.of("nothing was measured: raw holds no raw result (raw/cycle_<c>/process_<n>.json); the run "
                + "stopped: interrupted by Ctrl-C"), result.warnings());
        assertEquals("empty", result.name());
    }

    /** One complete cycle of one request, as a run writes it. */
    private void cycle(ResultsDirectory directory, int cycle) throws Exception {
        long base = cycle * 10 * S;
        directory.writeRaw(Fixtures.raw(directory.experimentId(), cycle, 0, base, base + 2 * S,
                List.of(request("c" + cycle, 4, base, base + S, at(base + 100 * MS, 5), at(base + S, 5))),
                List.of(Fixtures.reading("nvml", base, base + 2 * S, Fixtures.gpu("GPU-0", 100))), List.of(), null));
    }

    @Test
    void cyclesTheConfigPlannedWithoutARawFileMakeTheResultIncompleteAndAreNamed() throws Exception {
        ResultsDirectory directory = ResultsDirectory.create(root, "killed", "killed in cycle 3");
        directory.writeConfig(Map.of("config", Map.of("cycles", 5)));
        cycle(directory, 1);
        cycle(directory, 2);

        AggregatedResult result = directory.aggregate();

        assertFalse(result.complete(), "2 of 5 cycles");
        assertEquals(2, result.cyclesMeasured());
        assertTrue(result.warnings().contains("cycles 3-5 of 5 planned have no raw file: the run ended before them; "
                + "the run is still going"), result.warnings()::toString);

        cycle(directory, 3);
        cycle(directory, 5);
        AggregatedResult gap = directory.aggregate();
        assertFalse(gap.complete());
        assertTrue(gap.warnings().stream().anyMatch(w -> w.startsWith("cycle 4 of 5 planned has no raw file")),
                gap.warnings()::toString);

        cycle(directory, 4);
        assertTrue(directory.aggregate().complete(), "all 5 planned cycles");
    }

    @Test
    void aGarbledStatusDoesNotStopAggregationItIsNamedInAWarning() throws Exception {
        ResultsDirectory directory = ResultsDirectory.create(root, "garbled", "garbled");
        cycle(directory, 1);
        Files.writeString(directory.path().resolve(ResultsDirectory.STATUS_FILE), "{\"state\": \"RUNN");

        AggregatedResult result = directory.aggregate();

        assertEquals(1, result.cyclesMeasured());
        assertEquals("garbled", result.name(), "named by its id");
        assertTrue(result.warnings().stream().anyMatch(w -> w.contains(ResultsDirectory.STATUS_FILE)
                && w.contains("is not a valid ExperimentStatus")), result.warnings()::toString);
    }

    @Test
    void missingCyclesAreWrittenAsRanges() {
        assertEquals("3-5", Aggregator.ranges(List.of(3, 4, 5)));
        assertEquals("2, 4-5, 9", Aggregator.ranges(List.of(2, 4, 5, 9)));
        assertEquals("7", Aggregator.ranges(List.of(7)));
    }

    /**
     * Four requests, all arriving at 0, window 0-2 s, objectives TTFT 150 ms and ITL 60 ms:
     * a (TTFT 100, gaps 50, 50) is good; b (TTFT 200) misses TTFT; c (TTFT 100, a 70 ms gap) misses
     * ITL; d failed and misses both. Goodput: 1 of 4, 0.5 good requests per second.
     */
    @Test
    void goodputCountsTheRequestsThatMeetEveryObjective() throws Exception {
        ResultsDirectory directory = ResultsDirectory.create(root, "slo", "slo");
        directory.writeConfig(Map.of("config", Map.of("slo", java.util.Collections.unmodifiableMap(
                new java.util.HashMap<>(Map.of("ttft_ms", 150.0, "itl_ms", 60.0))))));
        RequestTimeline good = request("a", 4, 0, 200 * MS, at(100 * MS, 1), at(150 * MS, 1), at(200 * MS, 1));
        RequestTimeline slowFirst = request("b", 4, 0, 300 * MS, at(200 * MS, 1), at(250 * MS, 1), at(300 * MS, 1));
        RequestTimeline slowGap = request("c", 4, 0, 220 * MS, at(100 * MS, 1), at(150 * MS, 1), at(220 * MS, 1));
        RequestTimeline failed = new RequestTimeline("d", 4, 0, 0, 0, 50 * MS, List.of(), "error", "reset");
        directory.writeRaw(Fixtures.raw("slo", 1, 0, 0, 2 * S, List.of(good, slowFirst, slowGap, failed), List.of(),
                List.of(), null));

        Goodput goodput = Aggregator.aggregate(directory.path()).goodput();

        assertEquals(Map.of("itl_ms", 60.0, "ttft_ms", 150.0), goodput.objectivesMs());
        assertEquals(4, goodput.requests());
        assertEquals(1, goodput.goodRequests());
        assertEquals(0.25, goodput.goodShare(), EPS);
        assertEquals(0.5, goodput.goodRequestsPerSecond(), EPS);
        assertEquals(Map.of("itl_ms", 2L, "ttft_ms", 2L), goodput.missedBy());
    }

    @Test
    void withoutObjectivesThereIsNoGoodput() throws Exception {
        ResultsDirectory directory = twoProcesses("no-slo", 1 * S, 5 * S);
        assertEquals(null, Aggregator.aggregate(directory.path()).goodput());
    }
}
