package lem.runtime.analysis;

import java.util.List;

import org.apache.commons.math3.distribution.TDistribution;

/**
 * Welch's t-test of the difference of two means (B minus A) from per-cycle values, not assuming
 * equal variances: {@code t = (mean B - mean A) / se}, {@code se = sqrt(sA²/nA + sB²/nB)}, with
 * the Welch–Satterthwaite degrees of freedom
 * {@code df = (sA²/nA + sB²/nB)² / ((sA²/nA)²/(nA-1) + (sB²/nB)²/(nB-1))}, the two-sided p-value
 * {@code 2 (1 - T_df(|t|))} and the 95% interval of the difference {@code diff ± t(0.975, df) se}.
 * The t distribution takes the fractional df as it is (commons-math3's TDistribution).
 *
 * @param nA              cycles of A
 * @param nB              cycles of B
 * @param meanA           mean over A's cycles
 * @param meanB           mean over B's cycles
 * @param difference      meanB - meanA
 * @param standardError   se of the difference
 * @param t               the statistic, or null when se is 0
 * @param degreesOfFreedom Welch–Satterthwaite df, or null when se is 0
 * @param pValue          two-sided p, or null when se is 0
 * @param ciLow           lower end of the 95% interval of the difference, or null when se is 0
 * @param ciHigh          upper end, or null
 */
public record WelchTest(int nA, int nB, double meanA, double meanB, double difference, double standardError, Double t,
        Double degreesOfFreedom, Double pValue, Double ciLow, Double ciHigh) {

    public static final double CONFIDENCE = 0.95;

    /** The test, or null when either side has fewer than 2 values (no variance to test with). */
    public static WelchTest of(List<Double> a, List<Double> b) {
        if (a.size() < 2 || b.size() < 2) {
            return null;
        }
        double meanA = mean(a);
        double meanB = mean(b);
        double varianceOfMeanA = variance(a, meanA) / a.size();
        double varianceOfMeanB = variance(b, meanB) / b.size();
        double se = Math.sqrt(varianceOfMeanA + varianceOfMeanB);
        double difference = meanB - meanA;
        if (se == 0) {
            return new WelchTest(a.size(), b.size(), meanA, meanB, difference, 0, null, null, null, null, null);
        }
        double df = (varianceOfMeanA + varianceOfMeanB) * (varianceOfMeanA + varianceOfMeanB)
                / (varianceOfMeanA * varianceOfMeanA / (a.size() - 1) + varianceOfMeanB * varianceOfMeanB / (b.size() - 1));
        double t = difference / se;
        TDistribution distribution = new TDistribution(null, df);
        double p = 2 * distribution.cumulativeProbability(-Math.abs(t));
        double quantile = distribution.inverseCumulativeProbability(1 - (1 - CONFIDENCE) / 2);
        return new WelchTest(a.size(), b.size(), meanA, meanB, difference, se, t, df, p, difference - quantile * se,
                difference + quantile * se);
    }

    static double mean(List<Double> values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.size();
    }

    /** Sample variance, n - 1 in the denominator. */
    static double variance(List<Double> values, double mean) {
        double squares = 0;
        for (double v : values) {
            squares += (v - mean) * (v - mean);
        }
        return squares / (values.size() - 1);
    }
}
