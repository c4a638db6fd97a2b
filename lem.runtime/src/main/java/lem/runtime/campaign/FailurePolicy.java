package lem.runtime.campaign;

import java.util.Locale;

/** What a campaign does after an experiment fails: the failure and its reason are recorded either way. */
public enum FailurePolicy {
    /** Go on with the next run. */
    CONTINUE,
    /** Stop the campaign; {@code lem campaign resume} runs what is left, the failed run included. */
    STOP;

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static FailurePolicy fromConfigName(String name) {
        for (FailurePolicy p : values()) {
            if (p.configName().equals(name)) {
                return p;
            }
        }
        return null;
    }
}
