package lem.runtime.results;

import static lem.runtime.results.Fixtures.MS;
import static lem.runtime.results.Fixtures.S;
import static lem.runtime.results.Fixtures.at;
import static lem.runtime.results.Fixtures.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyMethod;
import lem.api.energy.ThrottlePeriod;

class EnergyMetricsTest {
    private static final double EPS = 1e-9;

    private static List<PowerSeriesPoint> series(long[] seconds, double[] watts) {
        List<PowerSeriesPoint> points = new java.util.ArrayList<>();
        for (int i = 0; i < seconds.length; i++) {
            points.add(new PowerSeriesPoint(seconds[i] * S, "nvml", "GPU-0", watts[i]));
        }
        return points;
    }

    /**
     * Power 100 W at 0 s and 1 s, 300 W at 2 s and 3 s, 100 W at 4 s (linear between): the series
     * integrates to 100 + 200 + 300 + 200 = 800 J; the counter says 1000 J, so every slice is scaled
     * by 1.25. Request 1: start 1 s, first token 2 s, end 3 s. Request 2: start 2.5 s, first token
     * 3 s, end 3.5 s. The slices, series J x 1.25, and who shares them:
     * [0, 1] 100 -> 125 other; [1, 2] 200 -> 250 r1 prefill; [2, 2.5] 150 -> 187.5 r1 decode;
     * [2.5, 3] 150 -> 187.5 half r1 decode, half r2 prefill; [3, 3.5] (300 + 200) / 2 x 0.5 = 125 ->
     * 156.25 r2 decode; [3.5, 4] (200 + 100) / 2 x 0.5 = 75 -> 93.75 other.
     * Prefill 250 + 93.75 = 343.75; decode 187.5 + 93.75 + 156.25 = 437.5; other 218.75.
     * r1 = 250 + 187.5 + 93.75 = 531.25; r2 = 93.75 + 156.25 = 250; r1 + r2 + other = 1000.
     */
    @Test
    void overlappingRequestsShareEachInstantsEnergyAndItAllAddsUp() {
        RequestTimeline first = request("r1", 8, 1 * S, 3 * S, at(2 * S, 1), at(3 * S, 1));
        RequestTimeline second = request("r2", 8, 2500 * MS, 3500 * MS, at(3 * S, 1), at(3500 * MS, 1));
        RawResult raw = Fixtures.raw("exp", 1, 0, 0, 4 * S, List.of(first, second),
                List.of(Fixtures.reading("nvml", 0, 4 * S, Fixtures.gpu("GPU-0", 1000))), List.of(), "series.csv");
        CycleInput cycle = new CycleInput(1, List.of(raw),
                Map.of(0, series(new long[] {0, 1, 2, 3, 4}, new double[] {100, 100, 300, 300, 100})));

        PhaseEnergy phases = MetricsCalculator.compute(List.of(cycle)).phaseEnergy();
        List<RequestMetrics> requests = MetricsCalculator.requestMetrics(cycle);

        assertNotNull(phases);
        assertEquals(PhaseEnergy.SCALED_POWER_SERIES, phases.method());
        DevicePhaseEnergy device = phases.devices().get(0);
        assertEquals(800.0, device.seriesJoules(), 1e-6);
        assertEquals(1.25, device.scaleFactor(), 1e-9);
        assertEquals(343.75, phases.prefillJoules(), 1e-6);
        assertEquals(437.5, phases.decodeJoules(), 1e-6);
        assertEquals(218.75, phases.otherJoules(), 1e-6);
        assertEquals(1250 * MS, device.prefillNanos());
        assertEquals(1250 * MS, device.decodeNanos());
        assertEquals(1500 * MS, device.otherNanos());
        assertEquals(531.25, requests.get(0).energyJoules(), 1e-6);
        assertEquals(250.0, requests.get(1).energyJoules(), 1e-6);
        assertEquals(1000.0, requests.get(0).energyJoules() + requests.get(1).energyJoules() + phases.otherJoules(), 1e-6);
    }

    @Test
    void baselineAdjustmentSubtractsIdlePowerAndClampsAtZero() {
        // 4 s window: GPU-0 1000 J with 300 W idle -> 1000 - 1200 < 0 -> 0; GPU-1 1000 J with 50 W -> 800 J
        RawResult raw = Fixtures.raw("exp", 1, 0, 0, 4 * S, List.of(),
                List.of(Fixtures.reading("nvml", 0, 4 * S, Fixtures.gpu("GPU-0", 1000), Fixtures.gpu("GPU-1", 1000))),
                List.of(Fixtures.baseline("nvml", "GPU-0", 300), Fixtures.baseline("nvml", "GPU-1", 50)), null);
        EnergyMetrics energy = MetricsCalculator.compute(List.of(new CycleInput(1, List.of(raw), Map.of()))).energy();
        assertEquals(2000.0, energy.rawJoules(), EPS);
        assertEquals(800.0, energy.adjustedJoules(), EPS);
        DeviceEnergyFigure clamped = energy.devices().stream().filter(d -> d.deviceId().equals("GPU-0")).findFirst()
                .orElseThrow();
        assertEquals(0.0, clamped.adjustedJoules(), EPS);
        assertEquals(300.0, clamped.baselineWatts(), EPS);
    }

    @Test
    void aDeviceCoveredByTwoSourcesCountsOnceAndMeasurementsBeatEstimates() {
        DeviceEnergy nvmlGpu = Fixtures.gpu("GPU-0", 500);
        DeviceEnergy codecarbonGpu = Fixtures.device("GPU-0", EnergyDomain.GPU, 480, EnergyMethod.POWER_INTEGRATION);
        DeviceEnergy codecarbonCpu = Fixtures.device("cpu", EnergyDomain.CPU_PACKAGE, 90, EnergyMethod.ESTIMATE);
        DeviceEnergy codecarbonRam = Fixtures.device("ram", EnergyDomain.DRAM, 20, EnergyMethod.ESTIMATE);
        DeviceEnergy raplPackage = Fixtures.device("package-0", EnergyDomain.CPU_PACKAGE, 120, EnergyMethod.COUNTER);
        RawResult raw = Fixtures.raw("exp", 1, 0, 0, 4 * S, List.of(request("r", 1, 0, S, at(S, 1))),
                List.of(Fixtures.reading("nvml", 0, 4 * S, nvmlGpu),
                        Fixtures.reading("codecarbon", 0, 4 * S, codecarbonGpu, codecarbonCpu, codecarbonRam),
                        Fixtures.reading("rapl", 0, 4 * S, raplPackage)),
                List.of(), null);
        WorkloadMetrics metrics = MetricsCalculator.compute(List.of(new CycleInput(1, List.of(raw), Map.of())));
        EnergyMetrics energy = metrics.energy();
        // GPU from nvml's counter, CPU from RAPL, RAM only estimated: 500 + 120 + 20
        assertEquals(640.0, energy.rawJoules(), EPS);
        assertEquals(590.0, energy.reportedJoulesBySource().get("codecarbon"), EPS);
        assertEquals(List.of("nvml", "codecarbon", "rapl"), energy.sourcesUsed());
        assertTrue(energy.includesEstimates());
        DeviceEnergyFigure droppedGpu = energy.devices().stream()
                .filter(d -> d.source().equals("codecarbon") && d.domain() == EnergyDomain.GPU).findFirst().orElseThrow();
        assertFalse(droppedGpu.counted());
        assertTrue(droppedGpu.reason().contains("nvml"), droppedGpu.reason());
        DeviceEnergyFigure droppedCpu = energy.devices().stream().filter(d -> d.deviceId().equals("cpu")).findFirst()
                .orElseThrow();
        assertFalse(droppedCpu.counted());
        assertTrue(droppedCpu.reason().contains("rapl"), droppedCpu.reason());
        assertEquals(640.0, metrics.joulesPerOutputToken(), EPS); // one output token
    }

    @Test
    void aSystemFigureIsNeverAddedToTheCpuFiguresItContains() {
        DeviceEnergy psys = Fixtures.device("psys", EnergyDomain.SYSTEM, 900, EnergyMethod.COUNTER);
        DeviceEnergy gpuBoard = Fixtures.gpu("GPU-0", 500);
        DeviceEnergy cpuEstimate = Fixtures.device("cpu", EnergyDomain.CPU_PACKAGE, 200, EnergyMethod.ESTIMATE);
        RawResult withEstimate = Fixtures.raw("exp", 1, 0, 0, 4 * S, List.of(),
                List.of(Fixtures.reading("rapl", 0, 4 * S, psys), Fixtures.reading("nvml", 0, 4 * S, gpuBoard),
                        Fixtures.reading("codecarbon", 0, 4 * S, cpuEstimate)),
                List.of(), null);
        EnergyMetrics energy = MetricsCalculator.compute(List.of(new CycleInput(1, List.of(withEstimate), Map.of())))
                .energy();
        // psys holds the CPU but not the discrete GPU: 900 + 500, the CPU estimate dropped
        assertEquals(1400.0, energy.rawJoules(), EPS);
        assertFalse(energy.devices().stream().filter(d -> d.deviceId().equals("cpu")).findFirst().orElseThrow()
                .counted());

        DeviceEnergy cpuPackage = Fixtures.device("package-0", EnergyDomain.CPU_PACKAGE, 300, EnergyMethod.COUNTER);
        RawResult withPackage = Fixtures.raw("exp", 1, 0, 0, 4 * S, List.of(),
                List.of(Fixtures.reading("rapl", 0, 4 * S, psys, cpuPackage)), List.of(), null);
        EnergyMetrics measured = MetricsCalculator.compute(List.of(new CycleInput(1, List.of(withPackage), Map.of())))
                .energy();
        assertEquals(300.0, measured.rawJoules(), EPS);
        DeviceEnergyFigure system = measured.devices().stream().filter(d -> d.domain() == EnergyDomain.SYSTEM)
                .findFirst().orElseThrow();
        assertFalse(system.counted());
        assertTrue(system.reason().contains("contains"), system.reason());
    }

    @Test
    void throttlingIsSummedPerCauseWithOverlapsMerged() {
        List<ThrottlePeriod> periods = List.of(new ThrottlePeriod("GPU-0", "thermal", 0, 2 * S),
                new ThrottlePeriod("GPU-0", "thermal", S, 3 * S), new ThrottlePeriod("GPU-1", "thermal", 0, S),
                new ThrottlePeriod("GPU-0", "power", 0, 500 * MS));
        RawResult raw = Fixtures.raw("exp", 1, 0, 0, 4 * S, List.of(),
                List.of(Fixtures.reading("nvml", 0, 4 * S, periods, Fixtures.gpu("GPU-0", 10))), List.of(), null);
        List<ThrottleSummary> throttling = MetricsCalculator
                .compute(List.of(new CycleInput(1, List.of(raw), Map.of()))).throttling();
        ThrottleSummary thermal = throttling.stream().filter(t -> t.cause().equals("thermal")).findFirst().orElseThrow();
        assertEquals(4000.0, thermal.totalDurationMs(), EPS); // GPU-0 0..3 s merged, GPU-1 1 s
        assertEquals(List.of("GPU-0", "GPU-1"), thermal.devices());
        ThrottleSummary power = throttling.stream().filter(t -> t.cause().equals("power")).findFirst().orElseThrow();
        assertEquals(500.0, power.totalDurationMs(), EPS);
    }

    @Test
    void flopsRatiosUseExecutedCountsFirst() {
        RawResult base = Fixtures.raw("exp", 1, 0, 0, 4 * S, List.of(request("r", 10, 0, S, at(S / 2, 1), at(S, 1))),
                List.of(Fixtures.reading("nvml", 0, 4 * S, Fixtures.gpu("GPU-0", 100))), List.of(), null);
        RawResult raw = new RawResult(base.schemaVersion(), base.experimentId(), 1, 0, base.host(),
                base.wallClockAnchor(), base.window(), base.backend(), base.model(), base.requests(), base.energy(),
                base.baseline(), new lem.api.backend.ExecutedOperations(1_000, 200, "matmuls"), null, List.of(), -1,
                List.of(), null, true, null);
        FlopsMetrics flops = MetricsCalculator.compute(List.of(new CycleInput(1, List.of(raw), Map.of()))).flops();
        assertEquals(1_200, flops.totalFlops());
        assertEquals(12.0, flops.flopsPerJoule(), EPS);
        assertEquals(600.0, flops.flopsPerOutputToken(), EPS);
        assertEquals(100.0, flops.flopsPerToken(), EPS);
        assertEquals("HIGH", flops.confidence());
    }

    private static RawResult withEstimatingSources(RawResult raw, List<String> estimating) {
        return new RawResult(raw.schemaVersion(), raw.experimentId(), raw.cycle(), raw.process(), raw.host(),
                raw.wallClockAnchor(), raw.window(), raw.backend(), raw.model(), raw.requests(), raw.energy(),
                raw.baseline(), raw.executedOperations(), raw.flops(), raw.flopsChain(), raw.peakDeviceMemoryBytes(),
                raw.warnings(), raw.powerSeriesFile(), raw.complete(), raw.incompleteReason(), estimating);
    }

    @Test
    void aCpuPackageCountsOnceWhateverTheSourcesCallIt() {
        // CodeCarbon reads RAPL itself and calls the sum of the packages "cpu"; RAPL calls them package-0/1
        RawResult raw = withEstimatingSources(Fixtures.raw("exp", 1, 0, 0, 4 * S, List.of(request("r", 1, 0, S, at(S, 1))),
                List.of(Fixtures.reading("codecarbon", 0, 4 * S,
                                Fixtures.device("cpu", EnergyDomain.CPU_PACKAGE, 150, EnergyMethod.COUNTER)),
                        Fixtures.reading("rapl", 0, 4 * S,
                                Fixtures.device("package-0", EnergyDomain.CPU_PACKAGE, 100, EnergyMethod.COUNTER),
                                Fixtures.device("package-1", EnergyDomain.CPU_PACKAGE, 50, EnergyMethod.COUNTER))),
                List.of(), null), List.of("codecarbon"));

        EnergyMetrics energy = MetricsCalculator.compute(List.of(new CycleInput(1, List.of(raw), Map.of()))).energy();

        assertEquals(150.0, energy.rawJoules(), EPS, "not 300: the packages once");
        assertEquals(List.of("rapl"), energy.sourcesUsed());
        DeviceEnergyFigure copy = energy.devices().stream().filter(d -> d.deviceId().equals("cpu")).findFirst()
                .orElseThrow();
        assertFalse(copy.counted());
        assertTrue(copy.reason().contains("counted from rapl"), copy.reason());
    }

    @Test
    void aGpuCountsFromTheSourceThatReadsItNotFromAnotherSourcesCopy() {
        // both are the NVML counter; CodeCarbon's copy was read over CodeCarbon's own session
        RawResult raw = withEstimatingSources(Fixtures.raw("exp", 1, 0, 0, 4 * S, List.of(request("r", 1, 0, S, at(S, 1))),
                List.of(Fixtures.reading("codecarbon", 0, 4 * S, Fixtures.gpu("GPU-0", 515)),
                        Fixtures.reading("nvml", 0, 4 * S, Fixtures.gpu("GPU-0", 500))),
                List.of(), null), List.of("codecarbon"));

        EnergyMetrics energy = MetricsCalculator.compute(List.of(new CycleInput(1, List.of(raw), Map.of()))).energy();

        assertEquals(500.0, energy.rawJoules(), EPS);
        assertEquals(List.of("nvml"), energy.sourcesUsed());
    }

    /**
     * The work window is 1 s to 3 s; the session ran 0.5 s to 3.4 s and its counter says 1000 J.
     * Power: 100 W at 0.5 s, 300 W at 1 s and 3 s, 100 W at 3.4 s (linear between). Before the work:
     * (100 + 300) / 2 x 0.5 = 100 J; after it: (300 + 100) / 2 x 0.4 = 80 J; so 820 J in the window,
     * 82 J for each of the 10 output tokens. The phases split the window's series (600 J) scaled to 820 J.
     */
    @Test
    void energyCoversTheWorkWindowNotTheSessions() {
        RequestTimeline request = request("r", 4, 1 * S, 3 * S, at(2 * S, 1), at(2200 * MS, 1), at(2400 * MS, 1),
                at(2500 * MS, 1), at(2600 * MS, 1), at(2700 * MS, 1), at(2800 * MS, 1), at(2900 * MS, 1),
                at(2950 * MS, 1), at(3 * S, 1));
        var reading = new lem.api.energy.EnergyReading("nvml", 500 * MS, 3400 * MS, List.of(Fixtures.gpu("GPU-0", 1000)),
                List.of(), List.of(), Map.of(lem.api.energy.EnergyReading.EXPECTED_ERROR_JOULES + "GPU-0", "2.5"));
        RawResult raw = Fixtures.raw("exp", 1, 0, 1 * S, 3 * S, List.of(request), List.of(reading),
                List.of(Fixtures.baseline("nvml", "GPU-0", 50)), "series.csv");
        List<PowerSeriesPoint> series = List.of(new PowerSeriesPoint(500 * MS, "nvml", "GPU-0", 100),
                new PowerSeriesPoint(1 * S, "nvml", "GPU-0", 300), new PowerSeriesPoint(3 * S, "nvml", "GPU-0", 300),
                new PowerSeriesPoint(3400 * MS, "nvml", "GPU-0", 100));

        WorkloadMetrics metrics = MetricsCalculator.compute(List.of(new CycleInput(1, List.of(raw), Map.of(0, series))));

        DeviceEnergyFigure figure = metrics.energy().devices().get(0);
        assertEquals(1000.0, figure.readingJoules(), EPS);
        assertEquals(-180.0, figure.edgeCorrectionJoules(), 1e-6);
        assertEquals(820.0, figure.rawJoules(), 1e-6);
        assertEquals(2 * S, figure.windowNanos());
        assertEquals(2900 * MS, figure.readingWindowNanos());
        assertEquals(2.5, figure.expectedErrorJoules(), EPS);
        assertEquals(820.0, metrics.energy().rawJoules(), 1e-6);
        assertEquals(820.0 - 50 * 2, metrics.energy().adjustedJoules(), 1e-6, "baseline over the work window");
        assertEquals(82.0, metrics.joulesPerOutputToken(), 1e-6);
        assertEquals(5.0, metrics.outputTokensPerSecond(), EPS);
        PhaseEnergy phases = metrics.phaseEnergy();
        // prefill [1 s, 2 s] = 300 J of series, decode [2 s, 3 s] = 300 J, scaled by 820 / 600
        assertEquals(600.0, phases.devices().get(0).seriesJoules(), 1e-6);
        assertEquals(410.0, phases.prefillJoules(), 1e-6);
        assertEquals(410.0, phases.decodeJoules(), 1e-6);
        assertEquals(0.0, phases.otherJoules(), 1e-6);
    }

    @Test
    void failedRequestsTokensCountTowardsNeitherThroughputNorEnergyPerToken() {
        RequestTimeline ok = request("ok", 10, 0, S, at(500 * MS, 1), at(S, 1));
        RequestTimeline failed = new RequestTimeline("failed", 10, 5, 0, 100 * MS, 600 * MS,
                List.of(new TokenArrival(100 * MS, 5)), "error", "backend lost the request");
        RawResult raw = Fixtures.raw("exp", 1, 0, 0, 2 * S, List.of(ok, failed),
                List.of(Fixtures.reading("nvml", 0, 2 * S, Fixtures.gpu("GPU-0", 100))), List.of(), null);

        WorkloadMetrics metrics = MetricsCalculator.compute(List.of(new CycleInput(1, List.of(raw), Map.of())));

        assertEquals(2, metrics.outputTokens());
        assertEquals(10, metrics.inputTokens());
        assertEquals(1.0, metrics.outputTokensPerSecond(), EPS);
        assertEquals(50.0, metrics.joulesPerOutputToken(), EPS);
        assertEquals(1, metrics.failedRequests());
        assertTrue(metrics.warnings().stream().anyMatch(w -> w.contains("5 output token(s)")), metrics.warnings().toString());
    }

    @Test
    void aFlopsTotalPastTheLargestLongIsLeftOutNotWrappedRound() {
        RawResult base = Fixtures.raw("exp", 1, 0, 0, 4 * S, List.of(request("r", 10, 0, S, at(S / 2, 1), at(S, 1))),
                List.of(Fixtures.reading("nvml", 0, 4 * S, Fixtures.gpu("GPU-0", 100))), List.of(), null);
        List<CycleInput> cycles = new java.util.ArrayList<>();
        for (int c = 1; c <= 2; c++) {
            RawResult raw = new RawResult(base.schemaVersion(), base.experimentId(), c, 0, base.host(),
                    base.wallClockAnchor(), base.window(), base.backend(), base.model(), base.requests(), base.energy(),
                    base.baseline(), new lem.api.backend.ExecutedOperations(5_000_000_000_000_000_000L, 0, "matmuls"),
                    null, List.of(), -1, List.of(), null, true, null);
            cycles.add(new CycleInput(c, List.of(raw), Map.of()));
        }

        WorkloadMetrics overall = MetricsCalculator.compute(cycles);

        assertEquals(null, overall.flops(), "1e19 FLOPs do not fit a long: no figure rather than a negative one");
        assertTrue(overall.warnings().stream().anyMatch(w -> w.contains("FLOPs total exceeds")), overall.warnings().toString());
        assertEquals(5_000_000_000_000_000_000L, MetricsCalculator.compute(cycles.subList(0, 1)).flops().totalFlops());
    }
}
