package lem.api.energy;

import java.util.Map;
import java.util.Objects;

/**
 * A device an energy source can measure, with the facts a result should record about it.
 *
 * @param id     stable identity: a GPU's UUID, {@code package-0}, ...
 * @param name   the product name for people
 * @param domain the domain its energy belongs to
 * @param facts  further facts (driver, power limit, MIG mode, TDP, ...), names in snake_case
 */
public record DeviceInfo(String id, String name, EnergyDomain domain, Map<String, String> facts) {
    public DeviceInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(domain, "domain");
        name = name == null ? id : name;
        facts = facts == null ? Map.of() : Map.copyOf(facts);
    }
}
