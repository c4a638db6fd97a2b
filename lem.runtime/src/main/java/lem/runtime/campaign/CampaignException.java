package lem.runtime.campaign;

/** A campaign cannot be started, resumed or shown; the message says why and what to do, for a user. */
public final class CampaignException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CampaignException(String message) {
        super(message);
    }

    public CampaignException(String message, Throwable cause) {
        super(message, cause);
    }
}
