package lem.report.svg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class AxisTest {
    private static List<String> labels(Axis axis) {
        return axis.ticks().stream().map(Axis.Tick::label).toList();
    }

    private static List<Double> values(Axis axis) {
        return axis.ticks().stream().map(Axis.Tick::value).toList();
    }

    @Test
    void stepsAreOneTwoOrFiveTimesAPowerOfTen() {
        assertEquals(1, Axis.niceStep(0.7), 1e-12);
        assertEquals(1, Axis.niceStep(1.0), 1e-12);
        assertEquals(2, Axis.niceStep(1.3), 1e-12);
        assertEquals(5, Axis.niceStep(2.1), 1e-12);
        assertEquals(10, Axis.niceStep(5.1), 1e-12);
        assertEquals(0.02, Axis.niceStep(0.013), 1e-15);
        assertEquals(5000, Axis.niceStep(4321), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> Axis.niceStep(0));
    }

    @Test
    void linearTicksCoverTheDataAtRoundValues() {
        Axis axis = Axis.linear("power", "W", 0, 97, 6);
        assertEquals(List.of("0", "20", "40", "60", "80", "100"), labels(axis));
        assertEquals(0, axis.min());
        assertEquals(100, axis.max());
        assertEquals("power (W)", axis.title());
        assertEquals(Axis.Scale.LINEAR, axis.scale());
    }

    @Test
    void aRangeThatWouldNeedOneTickTooManyTakesTheNextStep() {
        // 0.12..0.87 in steps of 0.2 needs 0, 0.2, ..., 1.0: 6 ticks, one more than 5
        Axis axis = Axis.linear("share", "", 0.12, 0.87, 5);
        assertEquals(List.of("0.0", "0.5", "1.0"), labels(axis));
        Axis six = Axis.linear("share", "", 0.12, 0.87, 6);
        assertEquals(List.of("0.0", "0.2", "0.4", "0.6", "0.8", "1.0"), labels(six));
    }

    @Test
    void ticksNeverExceedTheAskedCountAndAlwaysEnclose() {
        double[][] ranges = {{0, 1}, {-3.2, 7.9}, {12.5, 12.9}, {0.001, 0.0093}, {950, 1050}, {-1e6, -2e5}, {3, 3}};
        for (double[] r : ranges) {
            for (int max = 2; max <= 12; max++) {
                Axis axis = Axis.linear("x", "u", r[0], r[1], max);
                List<Double> v = values(axis);
                // a range with a round value inside needs a tick below, at and above it: 3 even when 2 are asked
                assertTrue(v.size() <= Math.max(max, 3), r[0] + ".." + r[1] + " max " + max + ": " + v);
                assertTrue(v.size() >= 2, r[0] + ".." + r[1] + ": " + v);
                assertTrue(v.get(0) <= r[0] && v.get(v.size() - 1) >= r[1], r[0] + ".." + r[1] + ": " + v);
                double step = v.get(1) - v.get(0);
                for (int i = 2; i < v.size(); i++) {
                    assertEquals(step, v.get(i) - v.get(i - 1), step * 1e-6);
                }
                assertEquals(v.size(), labels(axis).stream().distinct().count(), "labels distinct: " + labels(axis));
            }
        }
    }

    @Test
    void oneValueIsWidenedAroundItAndZeroIsNeverNegative() {
        Axis axis = Axis.linear("x", "", 5, 5, 5);
        assertTrue(axis.min() < 5 && axis.max() > 5);
        Axis around = Axis.linear("x", "", -0.3, 0.3, 7);
        assertTrue(labels(around).contains("0.0"), labels(around).toString());
        assertFalse(labels(around).contains("-0.0"));
    }

    @Test
    void decimalsFollowTheStepAndHugeValuesGoScientific() {
        assertEquals(List.of("0.00", "0.05", "0.10", "0.15", "0.20"), labels(Axis.linear("t", "s", 0, 0.2, 5)));
        assertEquals(List.of("0", "1e+07", "2e+07", "3e+07"), labels(Axis.linear("flop", "", 0, 3e7, 4)));
        List<String> tiny = labels(Axis.linear("j", "J", 0, 4e-4, 5));
        assertEquals("0", tiny.get(0));
        assertTrue(tiny.get(1).contains("e-"), tiny.toString());
    }

    @Test
    void logAxisWhenTheDataSpanDecades() {
        Axis axis = Axis.auto("ttft", "ms", 1.5, 800, 12);
        assertEquals(Axis.Scale.LOG, axis.scale());
        assertEquals(List.of("1", "2", "5", "10", "20", "50", "100", "200", "500", "1000"), labels(axis));
        assertEquals("ttft (ms), log scale", axis.title());
        assertEquals(Axis.Scale.LINEAR, Axis.auto("ttft", "ms", 2, 150, 12).scale());
        assertEquals(Axis.Scale.LINEAR, Axis.auto("delta", "ms", -1, 1000, 12).scale());
        // few ticks: powers of ten only, every second one past the count
        assertEquals(List.of("0.01", "0.1", "1", "10", "100"), labels(Axis.log("x", "", 0.02, 60, 6)));
        assertEquals(List.of("1", "100", "10000", "1000000"), labels(Axis.log("x", "", 1, 1e6, 4)));
        assertThrows(IllegalArgumentException.class, () -> Axis.log("x", "", 0, 10, 5));
    }

    @Test
    void positionsAreLinearOrLogarithmic() {
        Axis linear = Axis.linear("x", "", 0, 100, 6);
        assertEquals(100, linear.position(25, 0, 400), 1e-9);
        assertEquals(300, linear.position(25, 400, 0), 1e-9); // a y axis runs upwards
        Axis log = Axis.log("x", "", 1, 100, 10);
        assertEquals(100, log.position(10, 0, 200), 1e-9);
        assertFalse(log.drawable(0));
        assertTrue(linear.drawable(0));
    }

    @Test
    void fitDropsTicksUntilLabelsDoNotOverlap() {
        Axis crowded = Axis.linear("tokens", "", 0, 1_000_000, 11);
        assertFalse(crowded.labelsFit(200, 12, true));
        Axis fitted = crowded.fit(200, 12, true);
        assertTrue(fitted.labelsFit(200, 12, true), labels(fitted).toString());
        assertTrue(fitted.ticks().size() < crowded.ticks().size());
        assertTrue(fitted.ticks().size() >= 2);
        assertTrue(fitted.min() <= 0 && fitted.max() >= 1_000_000);
        // vertically, 1.5 lines per tick: 80 px holds at most 5 ticks of 12 px text (6 need 5 x 18 px)
        Axis tall = Axis.linear("w", "W", 0, 100, 11).fit(80, 12, false);
        assertTrue(tall.ticks().size() <= 5, labels(tall).toString());
        assertTrue(tall.labelsFit(80, 12, false));
        assertEquals(6, Axis.linear("w", "W", 0, 100, 11).fit(90, 12, false).ticks().size());
        // room enough: nothing dropped
        assertEquals(6, Axis.linear("w", "W", 0, 100, 6).fit(800, 12, true).ticks().size());
    }

    @Test
    void badRangesAreRefusedNamingTheAxis() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Axis.linear("power", "W", 5, 1, 5));
        assertTrue(e.getMessage().contains("power"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Axis.linear("p", "W", 0, Double.NaN, 5));
        assertThrows(IllegalArgumentException.class, () -> Axis.linear("p", "W", 0, 1, 1));
    }
}
