package lem.energy.rapl;

import java.nio.file.Path;
import java.util.Objects;

import lem.api.energy.EnergyDomain;

/**
 * One powercap zone whose energy lem reports.
 *
 * @param id                       stable device id for results ({@code package-0}, {@code package-0-dram})
 * @param directoryName            the sysfs directory, e.g. {@code intel-rapl:0:2}
 * @param zoneName                 the zone's {@code name} file ({@code package-0}, {@code dram}, {@code psys})
 * @param domain                   what its energy covers
 * @param directory                the zone's directory
 * @param maxEnergyRangeMicrojoules the counter's range ({@code max_energy_range_uj}); it wraps to 0 after this
 */
public record RaplZone(String id, String directoryName, String zoneName, EnergyDomain domain, Path directory,
        long maxEnergyRangeMicrojoules) {
    public RaplZone {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(directory, "directory");
    }

    /** The counter file, microjoules. */
    public Path energyFile() {
        return directory.resolve("energy_uj");
    }
}
