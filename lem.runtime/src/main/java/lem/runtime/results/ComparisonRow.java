package lem.runtime.results;

/**
 * One metric of two experiments.
 *
 * @param metric              the headline metric's key
 * @param unit                its unit
 * @param a                   the first experiment's overall value, or null
 * @param b                   the second's, or null
 * @param differencePercent   (b - a) / a x 100, or null when either is missing or a is 0
 * @param aCiHalfWidth        half width of a's 95% interval across cycles, or null
 * @param bCiHalfWidth        the same for b
 * @param intervalsOverlap    whether the two 95% intervals overlap (null without both); overlapping
 *                            intervals mean the difference may be noise
 */
public record ComparisonRow(String metric, String unit, Double a, Double b, Double differencePercent,
        Double aCiHalfWidth, Double bCiHalfWidth, Boolean intervalsOverlap) {
}
