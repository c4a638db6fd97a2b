package lem.runtime.analysis;

import java.util.Arrays;

import org.apache.commons.math3.distribution.TDistribution;

/**
 * Pearson's r and Spearman's rho (Pearson's r of the ranks, ties given their average rank) of n
 * pairs, each with a two-sided p-value for "no correlation" from
 * {@code t = r sqrt((n - 2) / (1 - r²))} on n - 2 degrees of freedom (exact for Pearson under
 * normality, the usual approximation for Spearman).
 *
 * @param n            pairs
 * @param pearson      r, or null when either variable is constant
 * @param pearsonP     its p-value, or null when n < 3 or r is null
 * @param spearman     rho, or null when either variable is constant
 * @param spearmanP    its p-value, or null when n < 3 or rho is null
 */
public record Correlation(int n, Double pearson, Double pearsonP, Double spearman, Double spearmanP) {

    public static Correlation of(double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("x has " + x.length + " values, y " + y.length);
        }
        Double r = pearson(x, y);
        Double rho = pearson(ranks(x), ranks(y));
        return new Correlation(x.length, r, pValue(r, x.length), rho, pValue(rho, x.length));
    }

    static Double pearson(double[] x, double[] y) {
        int n = x.length;
        if (n < 2) {
            return null;
        }
        double meanX = Arrays.stream(x).average().orElse(0);
        double meanY = Arrays.stream(y).average().orElse(0);
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i] - meanX) * (y[i] - meanY);
            sxx += (x[i] - meanX) * (x[i] - meanX);
            syy += (y[i] - meanY) * (y[i] - meanY);
        }
        if (sxx == 0 || syy == 0) {
            return null;
        }
        return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
    }

    /** Ranks from 1, tied values sharing the mean of their ranks. */
    static double[] ranks(double[] values) {
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
        double[] ranks = new double[values.length];
        for (int start = 0; start < order.length;) {
            int end = start;
            while (end + 1 < order.length && values[order[end + 1]] == values[order[start]]) {
                end++;
            }
            double rank = (start + end) / 2.0 + 1;
            for (int i = start; i <= end; i++) {
                ranks[order[i]] = rank;
            }
            start = end + 1;
        }
        return ranks;
    }

    static Double pValue(Double r, int n) {
        if (r == null || n < 3) {
            return null;
        }
        if (Math.abs(r) >= 1) {
            return 0.0;
        }
        double t = r * Math.sqrt((n - 2) / (1 - r * r));
        return 2 * new TDistribution(null, n - 2).cumulativeProbability(-Math.abs(t));
    }
}
