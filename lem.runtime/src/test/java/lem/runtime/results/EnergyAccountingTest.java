package lem.runtime.results;

import static lem.runtime.results.Fixtures.S;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyMethod;
import lem.api.energy.EnergyReading;

/** Which figures of a cycle count when its processes run on more than one host. */
class EnergyAccountingTest {
    private static final double EPS = 1e-9;

    /** Fixtures.raw's result, moved to another host and process. */
    private static RawResult on(String host, int process, EnergyReading... readings) {
        RawResult base = Fixtures.raw("exp", 1, process, 0, 4 * S, List.of(), List.of(readings), List.of(), null);
        return new RawResult(base.schemaVersion(), base.experimentId(), base.cycle(), base.process(), host,
                base.wallClockAnchor(), base.window(), base.backend(), base.model(), base.requests(), base.energy(),
                base.baseline(), base.executedOperations(), base.flops(), base.flopsChain(),
                base.peakDeviceMemoryBytes(), base.warnings(), base.powerSeriesFile(), base.complete(),
                base.incompleteReason());
    }

    private static DeviceEnergyFigure figure(EnergyMetrics energy, String host, String source) {
        return energy.devices().stream().filter(d -> d.host().equals(host) && d.source().equals(source)).findFirst()
                .orElseThrow();
    }

    /**
     * Host A: RAPL measures its package (120 J), CodeCarbon estimates it (90 J). Host B: only
     * CodeCarbon's estimate (70 J). A's estimate is dropped, B's is all there is of B's CPU and
     * counts: 120 + 70 = 190 J.
     */
    @Test
    void anEstimateIsDroppedOnlyWhereItsOwnHostIsMeasured() {
        RawResult hostA = on("host-a", 0,
                Fixtures.reading("rapl", 0, 4 * S, Fixtures.device("package-0", EnergyDomain.CPU_PACKAGE, 120,
                        EnergyMethod.COUNTER)),
                Fixtures.reading("codecarbon", 0, 4 * S, Fixtures.device("cpu", EnergyDomain.CPU_PACKAGE, 90,
                        EnergyMethod.ESTIMATE)));
        RawResult hostB = on("host-b", 1,
                Fixtures.reading("codecarbon", 0, 4 * S, Fixtures.device("cpu", EnergyDomain.CPU_PACKAGE, 70,
                        EnergyMethod.ESTIMATE)));

        EnergyMetrics energy = MetricsCalculator.compute(List.of(new CycleInput(1, List.of(hostA, hostB), Map.of())))
                .energy();

        assertEquals(190.0, energy.rawJoules(), EPS);
        assertTrue(figure(energy, "host-a", "rapl").counted());
        DeviceEnergyFigure estimateA = figure(energy, "host-a", "codecarbon");
        assertFalse(estimateA.counted());
        assertTrue(estimateA.reason().contains("measured by rapl"), estimateA.reason());
        DeviceEnergyFigure estimateB = figure(energy, "host-b", "codecarbon");
        assertTrue(estimateB.counted(), estimateB.reason());
        assertEquals("", estimateB.reason());
    }
}
