package lem.energy.rapl;

import java.util.List;

/**
 * What a scan of the powercap tree found.
 *
 * @param zones   the zones whose energy is reported, no zone nested in another
 * @param skipped zones left out and why (core/uncore inside a package, psys around the packages,
 *                mmio duplicates), one line each
 */
public record RaplTopology(List<RaplZone> zones, List<String> skipped) {
    public RaplTopology {
        zones = List.copyOf(zones);
        skipped = List.copyOf(skipped);
    }
}
