package lem.runtime.run;

import java.util.List;
import java.util.Map;

import lem.api.backend.InferenceBackend;
import lem.api.energy.EnergySource;
import lem.api.flops.FlopsStrategy;
import lem.runtime.plugin.PluginService;

/**
 * The services a run binds when it starts. A later bundle update changes the next run, not this
 * one.
 *
 * @param backend         the backend named in the config
 * @param energySources   the sources that will measure
 * @param flopsStrategies highest ranking first
 * @param bundles         symbolic name to version of every bundle in the framework, for the record
 */
public record RunServices(PluginService<InferenceBackend> backend, List<PluginService<EnergySource>> energySources,
        List<PluginService<FlopsStrategy>> flopsStrategies, Map<String, String> bundles) {
    public RunServices {
        energySources = List.copyOf(energySources);
        flopsStrategies = List.copyOf(flopsStrategies);
        bundles = Map.copyOf(bundles);
    }
}
