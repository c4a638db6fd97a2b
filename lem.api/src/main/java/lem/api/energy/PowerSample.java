package lem.api.energy;

import java.util.Map;
import java.util.Objects;

/**
 * One power reading of one device.
 *
 * @param deviceId        the device's {@link DeviceInfo#id()}
 * @param timestampNanos  {@link System#nanoTime()} when the reading was taken
 * @param powerWatts      power at that time
 * @param telemetry       other readings taken with it, keyed by the constants below (a source
 *                        reports what it has); values in the unit the key names
 */
public record PowerSample(String deviceId, long timestampNanos, double powerWatts, Map<String, Double> telemetry) {
    public static final String TEMPERATURE_CELSIUS = "temperature_c";
    public static final String SM_CLOCK_MHZ = "sm_clock_mhz";
    public static final String MEMORY_CLOCK_MHZ = "memory_clock_mhz";
    public static final String GPU_UTILISATION_PERCENT = "gpu_utilisation_percent";
    public static final String MEMORY_UTILISATION_PERCENT = "memory_utilisation_percent";
    public static final String MEMORY_USED_BYTES = "memory_used_bytes";
    /** Clock-event (throttle) reason bits as NVML reports them. */
    public static final String CLOCK_EVENT_REASONS = "clock_event_reasons";
    /** Performance state, 0 (maximum) to 15 (minimum). */
    public static final String PSTATE = "pstate";

    public PowerSample {
        Objects.requireNonNull(deviceId, "deviceId");
        telemetry = telemetry == null ? Map.of() : Map.copyOf(telemetry);
    }
}
