package lem.energy.nvml;

import java.util.Queue;

import lem.api.energy.PowerSample;

/** One measured device's running state: its telemetry reader, power integral and throttle periods. */
final class SampledDevice {
    private final DeviceTelemetry telemetry;
    private final PowerIntegral integral = new PowerIntegral();
    private final ThrottleTracker throttling;

    SampledDevice(DeviceTelemetry telemetry) {
        this.telemetry = telemetry;
        this.throttling = new ThrottleTracker(telemetry.device().id());
    }

    void sample(Queue<PowerSample> samples) {
        PowerSample sample = telemetry.read();
        if (sample != null) {
            samples.add(sample);
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
