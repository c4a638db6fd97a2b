package lem.runtime.results;

import java.util.List;

/**
 * No experiment has the id (the message lists the nearest ids there are), or more than one has it as
 * a prefix (the message lists them).
 */
public class UnknownExperimentException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String experimentId;
    private final List<String> nearest;

    public UnknownExperimentException(String experimentId, String resultsRoot, List<String> nearest) {
        super("no experiment '" + experimentId + "' in " + resultsRoot
                + (nearest.isEmpty() ? " (it holds no experiments)" : "; nearest: " + String.join(", ", nearest)));
        this.experimentId = experimentId;
        this.nearest = List.copyOf(nearest);
    }

    private UnknownExperimentException(List<String> candidates, String experimentId, String message) {
        super(message);
        this.experimentId = experimentId;
        this.nearest = List.copyOf(candidates);
    }

    /** More than one experiment id starts with the prefix given: the message lists them all. */
    public static UnknownExperimentException ambiguous(String prefix, String resultsRoot, List<String> candidates) {
        return new UnknownExperimentException(candidates, prefix, "'" + prefix + "' is ambiguous: " + candidates.size()
                + " experiments in " + resultsRoot + " start with it: " + String.join(", ", candidates)
                + "; give more of the id");
    }

    public String experimentId() {
        return experimentId;
    }

    public List<String> nearest() {
        return nearest;
    }
}
