package lem.api.energy;

import java.util.Objects;
import java.util.Set;

/**
 * Identity of an energy source.
 *
 * @param name        the source's name, equal to its {@link EnergySource#NAME} service property
 * @param description one line for people
 * @param domains     the domains its readings cover
 * @param estimate    true when its figures are modelled rather than measured
 */
public record SourceInfo(String name, String description, Set<EnergyDomain> domains, boolean estimate) {
    public SourceInfo {
        Objects.requireNonNull(name, "name");
        description = description == null ? "" : description;
        domains = Set.copyOf(domains);
    }
}
