package lem.runtime.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Welch's t-test and the correlations against values worked out by hand, from t tables, and with SciPy. */
class StatisticsTest {

    @Test
    void welchOnEqualVariancesByHandAndFromTheTTable() {
        // A = 1, 2, 3 and B = 4, 5, 6: means 2 and 5, each sample variance 1.
        // se = sqrt(1/3 + 1/3) = 0.81650; t = 3 / se = 3.67423;
        // df = (2/3)^2 / ((1/3)^2/2 + (1/3)^2/2) = 4 exactly.
        // t table, df 4: t(0.975) = 2.776, so the 95% CI is 3 -+ 2.776 x 0.81650 = [0.733, 5.267];
        // t(0.975) = 2.776 < 3.674 < t(0.99) = 3.747: 0.02 < p < 0.05 (SciPy: p = 0.021312).
        WelchTest test = WelchTest.of(List.of(1.0, 2.0, 3.0), List.of(4.0, 5.0, 6.0));
        assertEquals(3, test.difference(), 1e-12);
        assertEquals(0.81650, test.standardError(), 1e-5);
        assertEquals(3.67423, test.t(), 1e-5);
        assertEquals(4, test.degreesOfFreedom(), 1e-12);
        assertEquals(0.733, test.ciLow(), 1e-3);
        assertEquals(5.267, test.ciHigh(), 1e-3);
        assertEquals(0.021312, test.pValue(), 1e-6);
    }

    @Test
    void welchWithUnequalVariancesAndFractionalDegreesOfFreedomMatchesScipy() {
        // scipy.stats.ttest_ind(b, a, equal_var=False), SciPy 1.17.1:
        // t = 4.862994, p = 0.0117171, df = 3.474569, 95% CI [0.455631, 1.861036]
        WelchTest test = WelchTest.of(List.of(10.1, 9.8, 10.4, 10.0), List.of(11.2, 10.9, 11.6));
        assertEquals(4.862994, test.t(), 1e-6);
        assertEquals(3.474569, test.degreesOfFreedom(), 1e-6);
        assertEquals(0.0117171, test.pValue(), 1e-7);
        assertEquals(0.455631, test.ciLow(), 1e-6);
        assertEquals(1.861036, test.ciHigh(), 1e-6);
    }

    @Test
    void welchNeedsTwoValuesEachAndSaysWhenThereIsNoSpread() {
        assertNull(WelchTest.of(List.of(1.0), List.of(2.0, 3.0)));
        WelchTest flat = WelchTest.of(List.of(2.0, 2.0), List.of(3.0, 3.0));
        assertEquals(1, flat.difference(), 1e-12);
        assertNull(flat.pValue());
        assertNull(flat.ciLow());
    }

    @Test
    void pearsonAndSpearmanByHand() {
        // x = 1..5, y = 2, 1, 4, 3, 5: deviations of x -2..2, of y -1, -2, 1, 0, 2;
        // sxy = 2 + 2 + 0 + 0 + 4 = 8, sxx = syy = 10, r = 0.8; the values are their ranks, so rho = 0.8.
        // t = 0.8 sqrt(3 / 0.36) = 2.3094 on 3 df: p = 0.104088 (SciPy pearsonr).
        Correlation c = Correlation.of(new double[] {1, 2, 3, 4, 5}, new double[] {2, 1, 4, 3, 5});
        assertEquals(5, c.n());
        assertEquals(0.8, c.pearson(), 1e-12);
        assertEquals(0.8, c.spearman(), 1e-12);
        assertEquals(0.104088, c.pearsonP(), 1e-6);
        assertEquals(0.104088, c.spearmanP(), 1e-6);
    }

    @Test
    void spearmanSeesAMonotonicCurveThatPearsonDoesNot() {
        // y = x^3: SciPy pearsonr r = 0.943118, p = 0.0161459; spearmanr rho = 1
        Correlation c = Correlation.of(new double[] {1, 2, 3, 4, 5}, new double[] {1, 8, 27, 64, 125});
        assertEquals(0.943118, c.pearson(), 1e-6);
        assertEquals(0.0161459, c.pearsonP(), 1e-7);
        assertEquals(1.0, c.spearman(), 1e-12);
        assertEquals(0.0, c.spearmanP(), 1e-12);
    }

    @Test
    void tiesShareTheirMeanRank() {
        assertArrayEquals(new double[] {1, 2.5, 2.5, 4}, Correlation.ranks(new double[] {1, 2, 2, 3}));
        // SciPy: pearsonr 0.838611 (p 0.0369679), spearmanr 0.602941 (p 0.205184)
        Correlation c = Correlation.of(new double[] {1, 2, 2, 3, 5, 8}, new double[] {3, 1, 4, 1, 5, 9});
        assertEquals(0.838611, c.pearson(), 1e-6);
        assertEquals(0.0369679, c.pearsonP(), 1e-7);
        assertEquals(0.602941, c.spearman(), 1e-6);
        assertEquals(0.205184, c.spearmanP(), 1e-6);
    }

    @Test
    void aConstantVariableHasNoCorrelation() {
        Correlation c = Correlation.of(new double[] {4, 4, 4}, new double[] {1, 2, 3});
        assertNull(c.pearson());
        assertNull(c.spearmanP());
    }
}
