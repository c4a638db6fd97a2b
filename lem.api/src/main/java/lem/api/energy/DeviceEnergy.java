package lem.api.energy;

import java.util.Objects;

/**
 * Energy one device used over a session's window.
 *
 * @param deviceId     the device's {@link DeviceInfo#id()} (a GPU's UUID)
 * @param domain       the domain
 * @param energyJoules energy over the window, never negative
 * @param method       how it was obtained
 * @param shared       true when the figure covers more than what the run used (a MIG instance
 *                     reads its whole board's counter)
 * @param note         how exactly, in words (which counter, which power field), for the result
 */
public record DeviceEnergy(String deviceId, EnergyDomain domain, double energyJoules, EnergyMethod method,
        boolean shared, String note) {
    public DeviceEnergy {
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(method, "method");
        if (!(energyJoules >= 0)) {
            throw new IllegalArgumentException("energyJoules must be >= 0 for " + deviceId + ": " + energyJoules);
        }
        note = note == null ? "" : note;
    }
}
