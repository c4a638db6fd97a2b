package lem.runtime.results;

/**
 * One metric of two experiments: the pooled figures side by side, and each experiment's mean of
 * cycles with the 95% t-interval of that mean (an interval is never put beside the pooled figure,
 * which is a different estimate).
 *
 * @param metric              the headline metric's key
 * @param unit                its unit
 * @param a                   the first experiment's pooled value (over all cycles), or null
 * @param b                   the second's, or null
 * @param differencePercent   (b - a) / a x 100 of the pooled values, or null when either is missing or a is 0
 * @param aCycleMean          mean of a's per-cycle values, or null
 * @param aCiLow              lower end of the 95% t-interval of a's mean of cycles, or null (fewer than 2 cycles)
 * @param aCiHigh             its upper end, or null
 * @param bCycleMean          the same for b
 * @param bCiLow              the same for b
 * @param bCiHigh             the same for b
 * @param intervalsOverlap    whether the two 95% intervals of the means of cycles overlap (null without
 *                            both); overlapping intervals mean the difference may be noise
 */
public record ComparisonRow(String metric, String unit, Double a, Double b, Double differencePercent,
        Double aCycleMean, Double aCiLow, Double aCiHigh, Double bCycleMean, Double bCiLow, Double bCiHigh,
        Boolean intervalsOverlap) {
}
