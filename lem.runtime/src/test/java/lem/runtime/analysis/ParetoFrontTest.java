package lem.runtime.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import lem.runtime.analysis.ParetoFront.Entry;
import lem.runtime.analysis.ParetoFront.Goal;
import lem.runtime.analysis.ParetoFront.Point;

class ParetoFrontTest {
    /**
     * J per token (min) against tokens/s (max). a (1.0, 10) is the most frugal; b (2.0, 30) trades
     * energy for speed; c (3.0, 50) is the fastest; d (2.5, 20) is beaten by b on both; e (1.0, 5)
     * ties a on energy and is slower, so a dominates it; f (3.0, 50) equals c and neither dominates.
     */
    private static final List<Point> POINTS = List.of(new Point("a", 1.0, 10), new Point("b", 2.0, 30),
            new Point("c", 3.0, 50), new Point("d", 2.5, 20), new Point("e", 1.0, 5), new Point("f", 3.0, 50));

    @Test
    void theFrontIsTheNonDominatedPointsFromTheBestX() {
        List<Entry> entries = ParetoFront.of(POINTS, "j_per_output_token", Goal.MIN, "output_tokens_per_s", Goal.MAX);

        assertEquals(List.of("a", "b", "c", "f"), entries.stream().filter(Entry::onFront).map(e -> e.point().id()).toList());
        Entry d = entries.stream().filter(e -> e.point().id().equals("d")).findFirst().orElseThrow();
        assertEquals(List.of("b"), d.dominatedBy());
        Entry e = entries.stream().filter(x -> x.point().id().equals("e")).findFirst().orElseThrow();
        assertEquals(List.of("a"), e.dominatedBy(), "same energy as a, slower; b, c, f use more energy");
        assertTrue(entries.get(0).why().contains("lowest j_per_output_token"), entries.get(0).why());
        // b against a: +200% tokens/s for +100% J/token
        assertEquals("vs a: +200.0% output_tokens_per_s, +100.0% j_per_output_token", entries.get(1).why());
    }

    @Test
    void flippingAGoalChangesTheFront() {
        // both minimised: a (1.0, 10) and e (1.0, 5): e is better on y at equal x and dominates a
        List<Entry> entries = ParetoFront.of(POINTS, "x", Goal.MIN, "y", Goal.MIN);
        assertEquals(List.of("e"), entries.stream().filter(Entry::onFront).map(x -> x.point().id()).toList());
        assertTrue(entries.get(0).why().contains("lowest x") && entries.get(0).why().contains("lowest y"), entries.get(0).why());
    }
}
