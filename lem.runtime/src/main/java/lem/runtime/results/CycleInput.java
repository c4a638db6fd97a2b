package lem.runtime.results;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The complete raw results of one cycle, with each process's power series.
 *
 * @param cycle                1-based cycle
 * @param raws                 complete raw results, one per process
 * @param powerSeriesByProcess each process's power series (absent when it has none)
 */
public record CycleInput(int cycle, List<RawResult> raws, Map<Integer, List<PowerSeriesPoint>> powerSeriesByProcess) {
    public CycleInput {
        raws = raws.stream().sorted(Comparator.comparingInt(RawResult::process)).toList();
        powerSeriesByProcess = powerSeriesByProcess == null ? Map.of() : Map.copyOf(powerSeriesByProcess);
    }
}
