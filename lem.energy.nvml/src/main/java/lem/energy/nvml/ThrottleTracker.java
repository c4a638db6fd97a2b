package lem.energy.nvml;

import java.util.ArrayList;
import java.util.List;

import lem.api.energy.ThrottlePeriod;

/** Turns one device's sampled clock-event reason bits into throttle periods per cause. */
final class ThrottleTracker {
    /** nvml.h clocks-event reasons: SwThermalSlowdown 0x20 | HwThermalSlowdown 0x40. */
    static final long THERMAL = 0x20L | 0x40L;
    /** SwPowerCap 0x4 | HwPowerBrakeSlowdown 0x80. */
    static final long POWER = 0x4L | 0x80L;
    /** HwSlowdown 0x8: hardware slowdown of either cause. */
    static final long HW_SLOWDOWN = 0x8L;

    private static final String[] CAUSES = {"thermal", "power", "hw_slowdown"};
    private static final long[] MASKS = {THERMAL, POWER, HW_SLOWDOWN};
    private static final long NOT_THROTTLED = Long.MIN_VALUE;

    private final String deviceId;
    private final long[] openSinceNanos = {NOT_THROTTLED, NOT_THROTTLED, NOT_THROTTLED};
    private final List<ThrottlePeriod> periods = new ArrayList<>();

    ThrottleTracker(String deviceId) {
        this.deviceId = deviceId;
    }

    /** One sample's reason bits; negative means the device gave none, which changes nothing. */
    void observe(long reasons, long timestampNanos) {
        if (reasons < 0) {
            return;
        }
        for (int i = 0; i < MASKS.length; i++) {
            boolean throttled = (reasons & MASKS[i]) != 0;
            if (throttled && openSinceNanos[i] == NOT_THROTTLED) {
                openSinceNanos[i] = timestampNanos;
            } else if (!throttled && openSinceNanos[i] != NOT_THROTTLED) {
                periods.add(new ThrottlePeriod(deviceId, CAUSES[i], openSinceNanos[i], timestampNanos));
                openSinceNanos[i] = NOT_THROTTLED;
            }
        }
    }

    /** The periods seen, those still open ending at {@code endNanos}. */
    List<ThrottlePeriod> periods(long endNanos) {
        List<ThrottlePeriod> result = new ArrayList<>(periods);
        for (int i = 0; i < MASKS.length; i++) {
            if (openSinceNanos[i] != NOT_THROTTLED) {
                result.add(new ThrottlePeriod(deviceId, CAUSES[i], openSinceNanos[i], endNanos));
            }
        }
        return result;
    }
}
