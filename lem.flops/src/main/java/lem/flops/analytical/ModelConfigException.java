package lem.flops.analytical;

/**
 * A {@code config.json} that {@link TransformerShape} cannot cost: an unsupported
 * {@code model_type}, a missing key, or a value of the wrong kind. The message names the key, the
 * value found and what is allowed, so it can be shown to a user as it is.
 */
public class ModelConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String key;

    ModelConfigException(String key, String message) {
        super(message);
        this.key = key;
    }

    /** The config.json key at fault, or an empty string when the config as a whole is at fault. */
    public String key() {
        return key;
    }
}
