package lem.runtime.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class OrderingTest {

    private static List<String> order(List<PlannedRun> runs) {
        return runs.stream().map(r -> r.experiment() + "/" + r.cycle()).toList();
    }

    @Test
    void groupedRunsEveryCycleOfOneExperimentBeforeTheNext() {
        List<PlannedRun> runs = Ordering.GROUPED.plan(3, 2, 0);
        assertEquals(List.of("0/1", "0/2", "1/1", "1/2", "2/1", "2/2"), order(runs));
        assertEquals(List.of(0, 1, 2, 3, 4, 5), runs.stream().map(PlannedRun::index).toList(), "each run's index is its place");
    }

    @Test
    void interleavedRunsEveryExperimentOncePerCycle() {
        assertEquals(List.of("0/1", "1/1", "2/1", "0/2", "1/2", "2/2"), order(Ordering.INTERLEAVED.plan(3, 2, 0)));
    }

    @Test
    void shuffledIsTheSameForTheSameSeedAndEachCycleHoldsEveryExperimentOnce() {
        List<PlannedRun> first = Ordering.SHUFFLED.plan(6, 3, 42);
        assertEquals(first, Ordering.SHUFFLED.plan(6, 3, 42), "a recorded seed gives the order back");
        for (int cycle = 1; cycle <= 3; cycle++) {
            int c = cycle;
            List<Integer> inCycle = first.stream().filter(r -> r.cycle() == c).map(PlannedRun::experiment).toList();
            assertEquals(new TreeSet<>(IntStream.range(0, 6).boxed().toList()), new TreeSet<>(inCycle));
            assertEquals(6, inCycle.size());
        }
        // cycles run in turn: all of cycle 1 before any of cycle 2
        List<Integer> cycles = first.stream().map(PlannedRun::cycle).toList();
        List<Integer> sorted = new ArrayList<>(cycles);
        sorted.sort(null);
        assertEquals(sorted, cycles);
    }

    @Test
    void shuffledDiffersFromInterleavedAndBetweenSeeds() {
        List<String> interleaved = order(Ordering.INTERLEAVED.plan(6, 3, 1));
        assertNotEquals(interleaved, order(Ordering.SHUFFLED.plan(6, 3, 1)));
        assertNotEquals(order(Ordering.SHUFFLED.plan(6, 3, 1)), order(Ordering.SHUFFLED.plan(6, 3, 2)));
        // the two cycles of one plan are shuffled separately
        List<String> plan = order(Ordering.SHUFFLED.plan(6, 2, 7));
        assertNotEquals(plan.subList(0, 6).stream().map(s -> s.split("/")[0]).toList(),
                plan.subList(6, 12).stream().map(s -> s.split("/")[0]).toList());
    }

    @Test
    void shuffledOrderOfAKnownSeedIsStable() {
        // java.util.Random's sequence is specified: a campaign recorded on one JVM resumes in the same order on another
        assertEquals(List.of("3/1", "0/1", "1/1", "2/1"), order(Ordering.SHUFFLED.plan(4, 1, 5)));
    }
}
