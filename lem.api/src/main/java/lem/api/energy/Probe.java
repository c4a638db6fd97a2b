package lem.api.energy;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Whether a source can measure on this host, why not, and what it sees.
 *
 * @param available true when {@link EnergySource#start} can be expected to work
 * @param reason    why not (with the fix where there is one); for an available source, a short
 *                  note such as {@code estimate} or empty
 * @param devices   the devices it would measure
 * @param facts     host-wide facts (driver version, CUDA version, ...), names in snake_case
 */
public record Probe(boolean available, String reason, List<DeviceInfo> devices, Map<String, String> facts) {
    public Probe {
        reason = reason == null ? "" : reason;
        devices = devices == null ? List.of() : List.copyOf(devices);
        facts = facts == null ? Map.of() : Map.copyOf(facts);
    }

    public static Probe unavailable(String reason) {
        return new Probe(false, Objects.requireNonNull(reason, "reason"), List.of(), Map.of());
    }
}
