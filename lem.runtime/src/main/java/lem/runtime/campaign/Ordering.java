package lem.runtime.campaign;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import lem.runtime.config.ConfigEnum;

/**
 * In which order a campaign's experiments run across its cycles, so that drift and heat do not
 * favour one of them.
 */
public enum Ordering implements ConfigEnum {
    /** Every cycle of one experiment back to back, then the next experiment. */
    GROUPED,
    /** Cycle 1 of every experiment, then cycle 2 of every experiment, ... */
    INTERLEAVED,
    /** Like interleaved, but each cycle in its own random order drawn from the seed. */
    SHUFFLED;

    /**
     * Every run of {@code experiments} experiments over {@code cycles} campaign cycles, in this
     * order; each run's index is its place in the list. The same seed gives the same order on
     * every JVM ({@link Random}'s sequence is specified).
     */
    public List<PlannedRun> plan(int experiments, int cycles, long seed) {
        List<PlannedRun> runs = new ArrayList<>();
        if (this == GROUPED) {
            for (int e = 0; e < experiments; e++) {
                for (int c = 1; c <= cycles; c++) {
                    runs.add(new PlannedRun(runs.size(), e, c));
                }
            }
            return runs;
        }
        Random random = new Random(seed);
        for (int c = 1; c <= cycles; c++) {
            List<Integer> order = new ArrayList<>();
            for (int e = 0; e < experiments; e++) {
                order.add(e);
            }
            if (this == SHUFFLED) {
                Collections.shuffle(order, random);
            }
            for (int e : order) {
                runs.add(new PlannedRun(runs.size(), e, c));
            }
        }
        return runs;
    }
}
