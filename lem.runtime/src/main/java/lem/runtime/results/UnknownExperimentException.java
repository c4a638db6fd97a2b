package lem.runtime.results;

import java.util.List;

/** No experiment has the id; the message lists the nearest ids there are. */
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

    public String experimentId() {
        return experimentId;
    }

    public List<String> nearest() {
        return nearest;
    }
}
