package lem.api.flops;

import org.osgi.annotation.versioning.ConsumerType;

import lem.api.model.ModelDescription;

/**
 * One way of working out FLOPs. Register as a DS service with {@link FlopsStrategyService}
 * (service property {@value #NAME}) and a {@code service.ranking}: the runtime asks strategies
 * in ranking order, highest first, and uses the first that answers.
 */
@ConsumerType
public interface FlopsStrategy {
    /** Service property: the strategy's name ({@code counted}, {@code analytical}, {@code parameters}). */
    String NAME = "lem.flops.strategy";

    String name();

    Confidence confidence();

    /** FLOPs of the workload on the model, or why this strategy cannot tell. */
    FlopsAnswer estimate(ModelDescription model, Workload workload);
}
