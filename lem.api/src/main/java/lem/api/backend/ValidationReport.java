package lem.api.backend;

import java.util.List;

/**
 * What {@link BackendValidation#validate} found, and what the model would take, so that the
 * runtime can check the requests it plans against it.
 *
 * @param findings          every error and warning; empty when all is well
 * @param maxSequenceTokens the longest sequence (prompt plus new tokens) the model takes; 0 when
 *                          unknown (a server, or a model that could not be read)
 * @param textPrompts       whether text prompts can be turned into tokens (the model has a
 *                          tokenizer); when false, prompts must be token ids
 */
public record ValidationReport(List<ValidationFinding> findings, int maxSequenceTokens, boolean textPrompts) {
    public ValidationReport {
        findings = findings == null ? List.of() : List.copyOf(findings);
        if (maxSequenceTokens < 0) {
            throw new IllegalArgumentException("maxSequenceTokens must be >= 0: " + maxSequenceTokens);
        }
    }

    /** Whether any finding is an error. */
    public boolean hasErrors() {
        return findings.stream().anyMatch(f -> f.severity() == ValidationFinding.Severity.ERROR);
    }
}
