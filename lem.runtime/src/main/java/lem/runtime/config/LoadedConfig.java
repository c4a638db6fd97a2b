package lem.runtime.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of {@link ConfigLoader#load}: the resolved config, where each value came from, and
 * every problem found.
 *
 * @param file       the config file that was loaded, as given
 * @param config     the typed config; null when {@code problems} is not empty
 * @param tree       the resolved config as nested maps, lists and JSON scalars, keys in schema
 *                   order; unmodifiable. Paths in {@code prompts.file} and {@code model.path} are
 *                   resolved against the file that set them.
 * @param provenance for every leaf of {@code tree} (scalars, lists and empty maps), by dotted key
 *                   path, where its value came from; in tree order
 * @param problems   every mistake found, in the order of the schema; empty when the config is
 *                   usable (before the backend name is checked by
 *                   {@link ConfigLoader#validate(LoadedConfig, java.util.Set)})
 */
public record LoadedConfig(Path file, ExperimentConfig config, Map<String, Object> tree,
        Map<String, Provenance> provenance, List<ConfigProblem> problems) {

    public LoadedConfig {
        problems = List.copyOf(problems);
    }

    public boolean valid() {
        return problems.isEmpty();
    }

    /** The resolved config as YAML text with a {@code # from ...} comment on every value. */
    public String provenanceListing() {
        return ProvenanceListing.render(tree, provenance);
    }

    /**
     * What the runtime stores with results: {@code {"config": tree, "provenance": {key path:
     * "default" | "preset benchmark" | "base.yaml:12" | "--set" ...}}}, ready for Jackson.
     */
    public Map<String, Object> treeWithProvenance() {
        Map<String, String> origins = new LinkedHashMap<>();
        provenance.forEach((path, origin) -> origins.put(path, origin.describe()));
        Map<String, Object> stored = new LinkedHashMap<>();
        stored.put("config", tree);
        stored.put("provenance", origins);
        return stored;
    }
}
