package lem.runtime.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class MetricStatisticsTest {

    /** The t table in MEASUREMENT.md, n cycles -> t(0.975, n-1). */
    @ParameterizedTest
    @CsvSource({"2, 12.706", "3, 4.303", "5, 2.776", "10, 2.262", "11, 2.228", "20, 2.093", "30, 2.045"})
    void tQuantileMatchesTheTable(int cycles, double expected) {
        assertEquals(expected, MetricStatistics.tQuantile(cycles - 1), 0.0005);
    }

    @Test
    void intervalOfThreeCyclesByHand() {
        // 10, 12, 14: mean 12, s = sqrt((4 + 0 + 4) / 2) = 2, half width = 4.303 x 2 / sqrt(3) = 4.96868
        MetricStatistics stats = MetricStatistics.of("energy_raw", "J", List.of(10.0, 12.0, 14.0));
        assertEquals(3, stats.n());
        assertEquals(12.0, stats.mean(), 1e-12);
        assertEquals(2.0, stats.stdDev(), 1e-12);
        assertEquals(2.0 / 12.0, stats.coefficientOfVariation(), 1e-12);
        assertEquals(12.0 - 4.96868, stats.ciLow(), 0.001);
        assertEquals(12.0 + 4.96868, stats.ciHigh(), 0.001);
    }

    @Test
    void twoCyclesStillUseTheTDistribution() {
        // 1 and 3: mean 2, s = sqrt(2), half width = 12.706 x sqrt(2) / sqrt(2) = 12.706
        MetricStatistics stats = MetricStatistics.of("x", "J", List.of(1.0, 3.0));
        assertEquals(2.0 - 12.706, stats.ciLow(), 0.001);
        assertEquals(2.0 + 12.706, stats.ciHigh(), 0.001);
    }

    @Test
    void oneCycleHasNoIntervalAndSaysSo() {
        MetricStatistics stats = MetricStatistics.of("x", "J", List.of(5.0));
        assertEquals(5.0, stats.mean(), 0);
        assertNull(stats.stdDev());
        assertNull(stats.ciLow());
        assertNull(stats.ciHigh());
        assertTrue(stats.note().contains("one cycle"), stats.note());
    }

    @Test
    void percentilesInterpolateLinearlyBetweenRanks() {
        SampleSummary summary = SampleSummary.of(new double[] {4, 1, 3, 2});
        // sorted 1 2 3 4; median position 1.5 -> 2.5; p90 position 2.7 -> 3.7
        assertEquals(2.5, summary.median(), 1e-12);
        assertEquals(3.7, summary.p90(), 1e-12);
        assertEquals(2.5, summary.mean(), 1e-12);
        assertEquals(0, SampleSummary.of(new double[0]).count());
    }
}
