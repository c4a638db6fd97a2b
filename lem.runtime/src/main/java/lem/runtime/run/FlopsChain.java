package lem.runtime.run;

import java.util.ArrayList;
import java.util.List;

import lem.api.flops.FlopsAnswer;
import lem.api.flops.FlopsEstimate;
import lem.api.flops.FlopsStrategy;
import lem.api.flops.Workload;
import lem.api.model.ModelDescription;
import lem.runtime.plugin.PluginService;
import lem.runtime.results.FlopsAttempt;

/**
 * Asks the FLOPs strategies in ranking order and keeps the first answer, recording for every
 * strategy asked whether it answered and, if not, why.
 */
public final class FlopsChain {
    private final List<PluginService<FlopsStrategy>> strategies;

    /** @param strategies highest ranking first */
    public FlopsChain(List<PluginService<FlopsStrategy>> strategies) {
        this.strategies = List.copyOf(strategies);
    }

    public record Outcome(FlopsEstimate estimate, List<FlopsAttempt> attempts) {
        public Outcome {
            attempts = List.copyOf(attempts);
        }
    }

    public Outcome estimate(ModelDescription model, Workload workload) {
        List<FlopsAttempt> attempts = new ArrayList<>();
        for (PluginService<FlopsStrategy> strategy : strategies) {
            FlopsAnswer answer;
            try {
                answer = strategy.service().estimate(model, workload);
            } catch (RuntimeException e) {
                // a broken plugin strategy is a strategy that did not answer, not a failed run
                answer = FlopsAnswer.none("failed: " + e);
            }
            attempts.add(FlopsAttempt.of(strategy.name(), answer));
            if (answer.estimate().isPresent()) {
                return new Outcome(answer.estimate().get(), attempts);
            }
        }
        if (strategies.isEmpty()) {
            attempts.add(new FlopsAttempt("(none)", false, "no FLOPs strategy is registered"));
        }
        return new Outcome(null, attempts);
    }
}
