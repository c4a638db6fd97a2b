package lem.flops.strategy;

import java.util.ArrayList;
import java.util.List;

import org.osgi.service.component.annotations.Component;

import lem.api.backend.ExecutedOperations;
import lem.api.flops.Confidence;
import lem.api.flops.FlopsAnswer;
import lem.api.flops.FlopsEstimate;
import lem.api.flops.FlopsStrategy;
import lem.api.flops.FlopsStrategyService;
import lem.api.flops.RequestShape;
import lem.api.flops.Workload;
import lem.api.model.ModelDescription;

/** FLOPs the backend counted as it executed the model: the most trustworthy figure, when there is one. */
@Component(service = FlopsStrategy.class, property = "service.ranking:Integer=300")
@FlopsStrategyService(strategy = CountedFlopsStrategy.NAME)
public class CountedFlopsStrategy implements FlopsStrategy {
    static final String NAME = "counted";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Confidence confidence() {
        return Confidence.HIGH;
    }

    @Override
    public FlopsAnswer estimate(ModelDescription model, Workload workload) {
        if (workload.executed().isEmpty()) {
            return FlopsAnswer.none("the backend did not count operations");
        }
        ExecutedOperations executed = workload.executed().get();
        long promptTokens = workload.requests().stream().mapToLong(RequestShape::promptTokens).sum();
        long outputTokens = workload.requests().stream().mapToLong(RequestShape::outputTokens).sum();
        long tokens = promptTokens + outputTokens;
        if (executed.totalFlops() == 0 && tokens > 0) {
            // a backend that ran tokens through a model cannot have executed nothing: it did not count
            return FlopsAnswer.none("the backend reported 0 FLOPs for " + tokens + " tokens");
        }
        List<String> notes = new ArrayList<>();
        notes.add("counted by the backend as it ran"
                + (executed.counts().isBlank() ? "" : ": " + executed.counts())
                + "; padded positions of batched prompts, and rows that finished but kept running in a static "
                + "batch, are included");
        notes.add("over " + workload.requests().size() + " requests, " + promptTokens + " prompt and "
                + outputTokens + " generated tokens");
        QuantisedWeights.note(model).ifPresent(notes::add);
        return FlopsAnswer.of(new FlopsEstimate(NAME, confidence(), model.parameterCount(),
                executed.prefillFlops(), executed.decodeFlops(), model.computePrecision(), notes));
    }
}
