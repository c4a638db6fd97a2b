package lem.runtime.campaign;

import java.util.Map;

/**
 * What a cool-down watches: each device's power and temperature now, averaged over a short
 * window. Implemented over the host's energy sources ({@link SourceTelemetry}).
 */
@FunctionalInterface
public interface DeviceTelemetry {

    /**
     * One device's state.
     *
     * @param powerWatts         mean power over the window
     * @param temperatureCelsius mean temperature, or null when the source does not report it
     */
    record DeviceState(double powerWatts, Double temperatureCelsius) {
    }

    /** Per device id, its state over about {@code seconds} from now; empty when nothing reports. */
    Map<String, DeviceState> sample(double seconds) throws InterruptedException;
}
