package lem.runtime.results;

import java.util.Objects;

/**
 * One step of the FLOPs strategy chain.
 *
 * @param strategy the strategy asked
 * @param answered whether it gave an estimate
 * @param reason   why not, or an empty string when it answered
 */
public record FlopsAttempt(String strategy, boolean answered, String reason) {
    public FlopsAttempt {
        Objects.requireNonNull(strategy, "strategy");
        reason = reason == null ? "" : reason;
    }

    /** A strategy's answer as one step of the chain. */
    public static FlopsAttempt of(String strategy, lem.api.flops.FlopsAnswer answer) {
        return new FlopsAttempt(strategy, answer.estimate().isPresent(), answer.reasonAbsent());
    }
}
