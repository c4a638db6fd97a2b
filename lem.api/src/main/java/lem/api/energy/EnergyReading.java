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
 */
public record EnergyReading(String source, long startNanos, long endNanos, List<DeviceEnergy> devices,
        List<ThrottlePeriod> throttling, List<String> warnings) {
    public EnergyReading {
        Objects.requireNonNull(source, "source");
        devices = List.copyOf(devices);
        throttling = throttling == null ? List.of() : List.copyOf(throttling);
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }

    public long durationNanos() {
        return endNanos - startNanos;
    }

    /** Sum over devices. */
    public double energyJoules() {
        return devices.stream().mapToDouble(DeviceEnergy::energyJoules).sum();
    }
}
