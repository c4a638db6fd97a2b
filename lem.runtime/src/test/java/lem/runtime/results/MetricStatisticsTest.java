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
    void steadyCyclesGetBothIntervalsAndNoWarning() {
        // 10, 12, 14: geometric mean (10 x 12 x 14)^(1/3) = 1680^(1/3) = 11.88784
        MetricStatistics stats = MetricStatistics.of("energy_raw", "J", List.of(10.0, 12.0, 14.0));
        assertEquals(11.88784, stats.geometricMean(), 1e-5);
        assertTrue(stats.logCiLow() > 0 && stats.logCiLow() < 11.88784 && stats.logCiHigh() > 11.88784);
        assertEquals(List.of(), stats.warnings());
    }

    @Test
    void theIssuesThreeCyclesGetAPositiveLogScaleIntervalAndWarnings() {
        // the cycles of issue 9: 498.8, 570.5, 2103.8 tokens/s
        // t-interval: mean 1057.7, s = 906.6582, t(0.975, 2) = 4.302653,
        //   half width 4.302653 x 906.6582 / sqrt(3) = 2252.264 -> [-1194.564, 3309.964], below 0
        // log scale: ln = 6.212205, 6.346513, 7.651501; mean 6.736740, s_ln 0.7950473,
        //   half width 4.302653 x 0.7950473 / sqrt(3) = 1.975007;
        //   geometric mean e^6.736740 = 842.808, interval [e^4.761733, e^8.711747] = [116.948, 6073.84]
        MetricStatistics stats = MetricStatistics.of("output_tokens_per_s", "tokens/s",
                List.of(498.8, 570.5, 2103.8));
        assertEquals(-1194.564, stats.ciLow(), 0.001);
        assertEquals(3309.964, stats.ciHigh(), 0.001);
        assertEquals(842.808, stats.geometricMean(), 0.001);
        assertEquals(116.948, stats.logCiLow(), 0.001);
        assertEquals(6073.84, stats.logCiHigh(), 0.01);
        // CV 906.6582 / 1057.7 = 0.857: too large, and the t-interval reaches below 0
        assertTrue(stats.warnings().stream().anyMatch(w -> w.startsWith("CV 0.86 >= 0.50")), stats.warnings().toString());
        assertTrue(stats.warnings().stream().anyMatch(w -> w.contains("reaches 0 or below")), stats.warnings().toString());
        assertTrue(stats.warnings().stream().noneMatch(w -> w.startsWith("only")), stats.warnings().toString());
    }

    @Test
    void twoCyclesAreWarnedAboutAndTheLogIntervalStaysAboveZero() {
        // 1 and 3: ln 0 and 1.098612; mean 0.549306 (geometric mean sqrt(3) = 1.732051),
        //   s_ln = 1.098612 / sqrt(2) = 0.776836, half width 12.706205 x 0.776836 / sqrt(2) = 6.979596
        //   -> [e^-6.430290, e^7.528902] = [0.00161198, 1861.062]
        MetricStatistics stats = MetricStatistics.of("x", "J", List.of(1.0, 3.0));
        assertEquals(1.732051, stats.geometricMean(), 1e-6);
        assertEquals(0.00161198, stats.logCiLow(), 1e-8);
        assertEquals(1861.062, stats.logCiHigh(), 0.001);
        assertTrue(stats.warnings().stream().anyMatch(w -> w.startsWith("only 2 cycles: t(0.975, 1) = 12.7")),
                stats.warnings().toString());
    }

    @Test
    void aCycleValueOfZeroHasNoLogScaleInterval() {
        MetricStatistics stats = MetricStatistics.of("energy_adjusted_j", "J", List.of(0.0, 2.0, 4.0));
        assertNull(stats.geometricMean());
        assertNull(stats.logCiLow());
        assertTrue(stats.note().contains("no geometric mean"), stats.note());
        // not every value is above 0: a t-interval below 0 is not warned about as impossible
        assertTrue(stats.warnings().stream().noneMatch(w -> w.contains("reaches 0")), stats.warnings().toString());
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
