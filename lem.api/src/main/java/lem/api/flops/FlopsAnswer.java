package lem.api.flops;

import java.util.Objects;
import java.util.Optional;

/**
 * A strategy's answer: an estimate, or why it has none.
 *
 * @param estimate      the estimate, when the strategy could answer
 * @param reasonAbsent  why not, when it could not
 */
public record FlopsAnswer(Optional<FlopsEstimate> estimate, String reasonAbsent) {
    public FlopsAnswer {
        Objects.requireNonNull(estimate, "estimate");
        reasonAbsent = estimate.isPresent() ? "" : Objects.requireNonNull(reasonAbsent, "reasonAbsent");
    }

    public static FlopsAnswer of(FlopsEstimate estimate) {
        return new FlopsAnswer(Optional.of(estimate), "");
    }

    public static FlopsAnswer none(String reason) {
        return new FlopsAnswer(Optional.empty(), reason);
    }
}
