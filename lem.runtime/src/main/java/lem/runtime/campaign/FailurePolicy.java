package lem.runtime.campaign;

import lem.runtime.config.ConfigEnum;

/** What a campaign does after an experiment fails: the failure and its reason are recorded either way. */
public enum FailurePolicy implements ConfigEnum {
    /** Go on with the next run. */
    CONTINUE,
    /** Stop the campaign; {@code lem campaign resume} runs what is left, the failed run included. */
    STOP
}
