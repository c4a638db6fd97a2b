package lem.api.backend;

import java.util.Set;

import lem.api.model.Precision;

/**
 * What a backend can do, for validation before anything runs.
 *
 * @param streaming        true when it reports each token as it is produced
 * @param batching         batching modes it supports
 * @param devices          device kinds it can run on ({@code cpu}, {@code cuda})
 * @param precisions       precisions it can compute in
 * @param parallelism      parallelism modes it supports
 * @param countsOperations true when its results carry the operations it executed
 * @param modelSources     model sources it accepts ({@code synthetic}, {@code local}, {@code served})
 * @param tokenBudget      true when it closes a batch at {@link BackendSettings#maxTokensPerBatch()}
 */
public record Capabilities(boolean streaming, Set<BatchingMode> batching, Set<String> devices,
        Set<Precision> precisions, Set<Parallelism> parallelism, boolean countsOperations, Set<String> modelSources,
        boolean tokenBudget) {
    public Capabilities {
        batching = Set.copyOf(batching);
        devices = Set.copyOf(devices);
        precisions = Set.copyOf(precisions);
        parallelism = Set.copyOf(parallelism);
        modelSources = Set.copyOf(modelSources);
    }

    /** Capabilities of a backend that does not batch by token budget. */
    public Capabilities(boolean streaming, Set<BatchingMode> batching, Set<String> devices, Set<Precision> precisions,
            Set<Parallelism> parallelism, boolean countsOperations, Set<String> modelSources) {
        this(streaming, batching, devices, precisions, parallelism, countsOperations, modelSources, false);
    }
}
