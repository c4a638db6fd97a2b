package lem.energy.nvml;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PowerIntegralTest {
    private static final long S = 1_000_000_000L;

    /**
     * 100 W at 1 s, 300 W at 2 s, 200 W at 3 s. Between the samples: (100 + 300) / 2 x 1 s = 200 J
     * and (300 + 200) / 2 x 1 s = 250 J, 450 J (left rectangles would give 100 + 300 = 400 J).
     * Over the window [0 s, 5 s] the first reading is held back 1 s (100 J) and the last forward
     * 2 s (400 J): 950 J.
     */
    @Test
    void trapezoidsBetweenSamplesAndHeldEdgesOverTheWindow() {
        PowerIntegral integral = new PowerIntegral();
        integral.add(1 * S, 100);
        integral.add(2 * S, 300);
        integral.add(3 * S, 200);

        assertEquals(3, integral.samples());
        assertEquals(450.0, integral.energyJoules(), 1e-9);
        assertEquals(950.0, integral.joulesBetween(0, 5 * S), 1e-9);
        // a window that starts and ends at the samples adds nothing at the edges
        assertEquals(450.0, integral.joulesBetween(1 * S, 3 * S), 1e-9);
        // between samples, power is linear: 200 W at 1.5 s, 300 W at 2 s, 250 W at 2.5 s ->
        // (200 + 300) / 2 x 0.5 + (300 + 250) / 2 x 0.5 = 125 + 137.5 = 262.5 J; backwards is negative
        assertEquals(262.5, integral.joulesBetween(1500_000_000L, 2500_000_000L), 1e-9);
        assertEquals(-262.5, integral.joulesBetween(2500_000_000L, 1500_000_000L), 1e-9);
        assertEquals(250.0, integral.wattsAt(2500_000_000L), 1e-9);
    }

    @Test
    void withoutSamplesTheIntegralIsZero() {
        assertEquals(0.0, new PowerIntegral().joulesBetween(0, 5 * S));
    }

    /** One sample: 250 W held over the whole 2 s window, 500 J. */
    @Test
    void aSingleSampleIsHeldOverTheWholeWindow() {
        PowerIntegral integral = new PowerIntegral();
        integral.add(S, 250);

        assertEquals(0.0, integral.energyJoules(), 1e-9);
        assertEquals(500.0, integral.joulesBetween(0, 2 * S), 1e-9);
    }
}
