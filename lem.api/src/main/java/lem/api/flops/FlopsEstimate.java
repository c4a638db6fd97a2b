package lem.api.flops;

import java.util.List;

import lem.api.model.Precision;

/**
 * FLOPs of a workload.
 *
 * @param strategy         the strategy that answered
 * @param confidence       how far to trust it
 * @param parameterCount   the model's parameters as the strategy counted them, or 0 if unknown
 * @param prefillFlops     FLOPs of prompt processing
 * @param decodeFlops      FLOPs of generating the remaining tokens
 * @param computePrecision precision the FLOPs are counted at (quantised weights are dequantised)
 * @param notes            how it was worked out and what it leaves out
 */
public record FlopsEstimate(String strategy, Confidence confidence, long parameterCount, long prefillFlops,
        long decodeFlops, Precision computePrecision, List<String> notes) {
    public FlopsEstimate {
        notes = notes == null ? List.of() : List.copyOf(notes);
    }

    public long totalFlops() {
        return prefillFlops + decodeFlops;
    }
}
