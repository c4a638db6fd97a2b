package lem.flops.strategy;

import java.util.Optional;

import lem.api.model.ModelDescription;

/** What every strategy says about a model whose weights are quantised. */
final class QuantisedWeights {
    private QuantisedWeights() {
    }

    /**
     * A note for a quantised model: its weights are dequantised to the compute precision before
     * each matmul, so the matmuls, and hence the FLOPs, are those of the compute precision.
     */
    static Optional<String> note(ModelDescription model) {
        if (model.quantisation().isBlank() || model.quantisation().equalsIgnoreCase("none")) {
            return Optional.empty();
        }
        return Optional.of("weights quantised with " + model.quantisation() + " (stored as "
                + model.weightPrecision().configName() + ") are dequantised before each matmul: FLOPs are counted at "
                + "the compute precision " + model.computePrecision().configName());
    }
}
