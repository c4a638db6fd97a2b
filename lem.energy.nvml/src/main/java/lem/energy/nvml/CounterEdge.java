package lem.energy.nvml;

/**
 * The energy counter around one edge of a window. The counter steps about every 100 ms and holds
 * the energy up to its latest step: the read just after the edge gives the value at the step
 * before the edge, polling finds the step after it, so the edge lies inside one step whose
 * energy the counter gives exactly. That energy is shared out within the step by the shape of
 * the sampled power (a series with no detail inside the step shares it in proportion to time).
 *
 * @param before       the value at the step before the edge, mJ (the read taken just after it)
 * @param after        the step after the edge
 * @param periodNanos  the counter's step period, measured or assumed: the step before the edge
 *                     is one period before {@code after}
 */
record CounterEdge(EnergyCounter.Read before, EnergyCounter.Step after, long periodNanos) {

    long stepBeforeNanos() {
        return after.atNanos() - periodNanos;
    }

    /** Energy counted up to {@code edgeNanos}, J (since the driver loaded), the step shared by the power's shape. */
    double joulesAt(long edgeNanos, PowerIntegral power) {
        double stepJoules = power.joulesBetween(stepBeforeNanos(), after.atNanos());
        double fraction = stepJoules > 0 ? power.joulesBetween(stepBeforeNanos(), edgeNanos) / stepJoules
                : linearFraction(edgeNanos);
        return joulesWith(fraction);
    }

    /** The same, the step shared in proportion to time (what a reader of the counter alone would say). */
    double linearJoulesAt(long edgeNanos) {
        return joulesWith(linearFraction(edgeNanos));
    }

    private double linearFraction(long edgeNanos) {
        return (double) (edgeNanos - stepBeforeNanos()) / periodNanos;
    }

    private double joulesWith(double fraction) {
        double clamped = Math.max(0, Math.min(1, fraction));
        return (before.millijoules() + clamped * (after.millijoules() - before.millijoules())) / 1000.0;
    }

    /** How far the edge's figure can be off for not knowing the steps' instants exactly, J. */
    double locationErrorJoules() {
        double stepWatts = (after.millijoules() - before.millijoules()) / 1000.0 / (periodNanos / 1e9);
        return stepWatts * after.halfWidthNanos() / 1e9;
    }
}
