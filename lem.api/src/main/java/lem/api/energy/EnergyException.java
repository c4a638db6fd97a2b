package lem.api.energy;

/** A source could not start or finish a measurement; the message says why. */
public class EnergyException extends Exception {
    private static final long serialVersionUID = 1L;

    public EnergyException(String message) {
        super(message);
    }

    public EnergyException(String message, Throwable cause) {
        super(message, cause);
    }
}
