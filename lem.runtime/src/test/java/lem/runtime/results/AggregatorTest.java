package lem.runtime.results;

import static lem.runtime.results.Fixtures.MS;
import static lem.runtime.results.Fixtures.S;
import static lem.runtime.results.Fixtures.at;
import static lem.runtime.results.Fixtures.request;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
        assertNotNull(overall.phaseEnergy()); // process 0's series covers GPU-0
        assertEquals(400.0, overall.phaseEnergy().splitJoules(), EPS);
        assertEquals(400.0, overall.phaseEnergy().prefillJoules() + overall.phaseEnergy().decodeJoules()
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
    void aDirectoryWithoutRawFilesSaysSo() throws Exception {
        ResultsDirectory directory = ResultsDirectory.create(root, "empty", "empty");
        ResultsFileException error = assertThrows(ResultsFileException.class, directory::aggregate);
        assertTrue(error.getMessage().contains("holds no raw results"), error.getMessage());
    }
}
