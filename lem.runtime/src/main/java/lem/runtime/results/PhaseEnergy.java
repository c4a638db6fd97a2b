package lem.runtime.results;

import java.util.List;

/**
 * Energy split into prefill and decode.
 *
 * @param method        how it was worked out ({@link #SCALED_POWER_SERIES})
 * @param prefillJoules sum over devices
 * @param decodeJoules  sum over devices
 * @param otherJoules   sum over devices of window time with no request in flight
 * @param splitJoules   counted energy of the devices that were split (prefill + decode + other):
 *                      every counted device (one without a power series at its mean power)
 * @param devices       per device
 * @param notes         limits of the figures (phases shorter than the sensor resolves, devices
 *                      without a series)
 */
public record PhaseEnergy(String method, double prefillJoules, double decodeJoules, double otherJoules,
        double splitJoules, List<DevicePhaseEnergy> devices, List<String> notes) {

    public static final String SCALED_POWER_SERIES = "power series aligned to token timestamps, scaled to counter";

    /** How time where one request prefills while another decodes is attributed. */
    public static final String OVERLAP_RULE = InFlightAttribution.RULE;
}
