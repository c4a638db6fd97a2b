package lem.backend.djl.transformer;

/** A config.json, a preset or a weight file is not what the backend can run; the message says why. */
public class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
