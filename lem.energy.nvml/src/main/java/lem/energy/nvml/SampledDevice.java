package lem.energy.nvml;

import java.util.Queue;

import lem.api.energy.PowerSample;

/** One measured device's running state: its telemetry reader, power integral and throttle periods. */
final class SampledDevice {
    private final DeviceTelemetry telemetry;
    private final PowerIntegral integral = new PowerIntegral();
    private final ThrottleTracker throttling;
    private boolean deliveredPastEnd;

    SampledDevice(DeviceTelemetry telemetry) {
        this.telemetry = telemetry;
        this.throttling = new ThrottleTracker(telemetry.device().id());
    }

    /**
     * Reads the device. The sample goes to {@code samples} up to {@code deliverUntilNanos} (the
     * window's end) and once after it, so that the series spans the edge; later ones only go to
     * the integral.
     */
    void sample(Queue<PowerSample> samples, long deliverUntilNanos) {
        PowerSample sample = telemetry.read();
        if (sample != null) {
            if (!deliveredPastEnd) {
                samples.add(sample);
                deliveredPastEnd = sample.timestampNanos() > deliverUntilNanos;
            }
            integral.add(sample.timestampNanos(), sample.powerWatts());
            throttling.observe(telemetry.lastReasons(), sample.timestampNanos());
        }
    }

    GpuDevice device() {
        return telemetry.device();
    }

    DeviceTelemetry telemetry() {
        return telemetry;
    }

    PowerIntegral integral() {
        return integral;
    }

    ThrottleTracker throttling() {
        return throttling;
    }
}
