package lem.backend.openai.client;

import java.util.SplittableRandom;

/** Arrival offsets (nanoseconds from the start of a load run) of open-loop traffic. */
public final class ArrivalSchedule {
    private ArrivalSchedule() {
    }

    /** Request {@code i} arrives at {@code i / ratePerSecond}. */
    public static long[] constant(double ratePerSecond, int count) {
        checkRate(ratePerSecond);
        long[] offsets = new long[count];
        for (int i = 0; i < count; i++) {
            offsets[i] = Math.round(i * 1e9 / ratePerSecond);
        }
        return offsets;
    }

    /** A Poisson process: exponential gaps of mean {@code 1 / ratePerSecond}, the first at 0; seeded. */
    public static long[] poisson(double ratePerSecond, int count, long seed) {
        checkRate(ratePerSecond);
        SplittableRandom random = new SplittableRandom(seed);
        long[] offsets = new long[count];
        double t = 0;
        for (int i = 1; i < count; i++) {
            t += -Math.log(1.0 - random.nextDouble()) / ratePerSecond;
            offsets[i] = Math.round(t * 1e9);
        }
        return offsets;
    }

    private static void checkRate(double ratePerSecond) {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("a request rate must be a positive number of requests per second, not "
                    + ratePerSecond);
        }
    }
}
