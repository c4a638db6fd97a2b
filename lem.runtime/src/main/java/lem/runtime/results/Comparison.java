package lem.runtime.results;

import java.util.List;

/**
 * Two experiments side by side.
 *
 * @param experimentA the first id
 * @param experimentB the second id
 * @param rows        one per headline metric either has
 * @param notes       differences in setup a reader should know (backend, model, cycles)
 */
public record Comparison(String experimentA, String experimentB, List<ComparisonRow> rows, List<String> notes) {
    public Comparison {
        rows = List.copyOf(rows);
        notes = List.copyOf(notes);
    }
}
