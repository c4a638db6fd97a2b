package lem.runtime.campaign;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The thermal gap between two runs: wait until every device's power and temperature are back
 * within a set distance of their idle reference (taken before the campaign's first run in this
 * session), or until the time limit; either way the run starts, and its record says which.
 *
 * @param withinWatts    power at most this far above the idle reference
 * @param withinCelsius  temperature at most this far above it (devices that report one)
 * @param maxSeconds     the longest wait
 * @param sampleSeconds  the window of each reading
 */
public record CoolDown(double withinWatts, double withinCelsius, double maxSeconds, double sampleSeconds) {

    /** Seconds of each reading unless the file says otherwise. */
    public static final double DEFAULT_SAMPLE_SECONDS = 1;

    /**
     * How one wait went: recorded with the run that follows it.
     *
     * @param reached   every device came back within the distance
     * @param waitedSeconds how long it waited
     * @param idle      the reference, per device
     * @param last      the last reading, per device
     * @param note      what kept it from being reached, or empty
     */
    public record Wait(boolean reached, double waitedSeconds, Map<String, DeviceTelemetry.DeviceState> idle,
            Map<String, DeviceTelemetry.DeviceState> last, String note) {
        public Wait {
            idle = Map.copyOf(idle);
            last = Map.copyOf(last);
        }
    }

    /** Waits until {@code telemetry} is back near {@code idle}, the limit passes, or the campaign is cancelled. */
    Wait await(Map<String, DeviceTelemetry.DeviceState> idle, DeviceTelemetry telemetry, Cancellation cancellation)
            throws InterruptedException {
        long start = System.nanoTime();
        Map<String, DeviceTelemetry.DeviceState> last = Map.of();
        String note = "";
        while (!cancellation.cancelled()) {
            last = telemetry.sample(sampleSeconds);
            note = farFromIdle(idle, last);
            double waited = (System.nanoTime() - start) / 1e9;
            if (note.isEmpty()) {
                return new Wait(true, waited, idle, last, "");
            }
            if (waited >= maxSeconds) {
                return new Wait(false, waited, idle, last, "time limit of " + DurationEstimate.format(maxSeconds)
                        + " s reached: " + note);
            }
        }
        return new Wait(false, (System.nanoTime() - start) / 1e9, idle, last, "cancelled: " + cancellation.reason());
    }

    /** Which devices are still too warm or draw too much, in words; empty when none. */
    String farFromIdle(Map<String, DeviceTelemetry.DeviceState> idle, Map<String, DeviceTelemetry.DeviceState> now) {
        Map<String, String> far = new LinkedHashMap<>();
        idle.forEach((device, reference) -> {
            DeviceTelemetry.DeviceState state = now.get(device);
            if (state == null) {
                far.put(device, "no reading");
                return;
            }
            StringBuilder why = new StringBuilder();
            if (state.powerWatts() > reference.powerWatts() + withinWatts) {
                why.append(String.format(java.util.Locale.ROOT, "%.1f W (idle %.1f W)", state.powerWatts(),
                        reference.powerWatts()));
            }
            if (state.temperatureCelsius() != null && reference.temperatureCelsius() != null
                    && state.temperatureCelsius() > reference.temperatureCelsius() + withinCelsius) {
                why.append(why.length() == 0 ? "" : ", ").append(String.format(java.util.Locale.ROOT,
                        "%.1f C (idle %.1f C)", state.temperatureCelsius(), reference.temperatureCelsius()));
            }
            if (why.length() > 0) {
                far.put(device, why.toString());
            }
        });
        StringBuilder text = new StringBuilder();
        far.forEach((device, why) -> text.append(text.length() == 0 ? "" : "; ").append(device).append(' ').append(why));
        return text.toString();
    }
}
