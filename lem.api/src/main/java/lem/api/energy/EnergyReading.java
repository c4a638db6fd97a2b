package lem.api.energy;

import java.util.List;
import java.util.Objects;

/**
 * What a session measured between its start and stop.
 *
 * @param source      the source's name
 * @param startNanos  {@link System#nanoTime()} at the window's start
 * @param endNanos    {@link System#nanoTime()} at the window's end
 * @param devices     energy per device
 * @param throttling  periods in which a device was throttled
 * @param warnings    anything that makes the figures less sure (a counter that went backwards,
 *                    a missed sample), in words
 * @param facts       further outcomes a source computes, names in snake_case with the unit
 *                    ({@code emissions_kg_co2}, {@code carbon_intensity_g_per_kwh},
 *                    {@code power_field}), as strings
 */
public record EnergyReading(String source, long startNanos, long endNanos, List<DeviceEnergy> devices,
        List<ThrottlePeriod> throttling, List<String> warnings, java.util.Map<String, String> facts) {
    /**
     * Prefix of a fact that gives a device's expected error over the window, J, as a decimal:
     * {@code expected_error_joules:<device id>}. A source states it where it can bound its own
     * reading (a counter's step, a sampling interval); the result shows it beside the figure.
     */
    public static final String EXPECTED_ERROR_JOULES = "expected_error_joules:";

    public EnergyReading {
        Objects.requireNonNull(source, "source");
        devices = List.copyOf(devices);
        throttling = throttling == null ? List.of() : List.copyOf(throttling);
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
        facts = facts == null ? java.util.Map.of() : java.util.Map.copyOf(facts);
    }

    public long durationNanos() {
        return endNanos - startNanos;
    }

    /** Sum over devices. */
    public double energyJoules() {
        return devices.stream().mapToDouble(DeviceEnergy::energyJoules).sum();
    }
}
