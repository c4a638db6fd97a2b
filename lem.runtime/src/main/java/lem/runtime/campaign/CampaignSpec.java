package lem.runtime.campaign;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import lem.runtime.config.ConfigDocument;
import lem.runtime.config.ConfigProblem;
import lem.runtime.config.Provenance;

/**
 * A campaign file as read: what to expand and how to run it. Meaningful only when
 * {@code problems} is empty.
 *
 * @param file       the campaign file
 * @param name       {@code name:}, or the file's name without its extension
 * @param configs    {@code base:} then {@code configs:}: each a config file or an inline config
 * @param grid       the keys to vary, in file order; their Cartesian product is the set of combinations
 * @param include    extra combinations ({@code grid.include}), each a list of settings
 * @param exclude    combinations left out ({@code grid.exclude}): key path to value, with where it was written
 * @param cycles     campaign cycles: the whole set of experiments is run this many times
 * @param order      grouped, interleaved or shuffled
 * @param seed       the shuffle's seed, or null when the campaign draws one (and records it)
 * @param gapSeconds pause between two runs
 * @param coolDown   the thermal gap after the pause, or null for none
 * @param onFailure  continue or stop after a failed experiment
 * @param outputDir  results folder the campaign's own folder goes under ({@code <output_dir>/campaigns/<id>})
 * @param problems   every mistake in the file, with its line
 */
public record CampaignSpec(Path file, String name, List<ConfigDocument> configs, List<Axis> grid,
        List<List<ConfigDocument.Setting>> include, List<Exclusion> exclude, int cycles, Ordering order, Long seed,
        double gapSeconds, CoolDown coolDown, FailurePolicy onFailure, String outputDir, List<ConfigProblem> problems) {

    public CampaignSpec {
        configs = List.copyOf(configs);
        grid = List.copyOf(grid);
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
        problems = List.copyOf(problems);
    }

    /**
     * One key of the grid and the values it takes.
     *
     * @param keyPath dotted config key path
     * @param values  the values, in file order, each with where it was written
     */
    public record Axis(String keyPath, List<ConfigDocument.Setting> values) {
        public Axis {
            values = List.copyOf(values);
        }
    }

    /** A combination to leave out: every key it names must have its value. */
    public record Exclusion(Map<String, Object> values, Provenance origin) {
        public Exclusion {
            values = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
        }
    }
}
