package lem.flops.strategy;

import java.util.ArrayList;
import java.util.List;

import org.osgi.service.component.annotations.Component;

import lem.api.flops.Confidence;
import lem.api.flops.FlopsAnswer;
import lem.api.flops.FlopsEstimate;
import lem.api.flops.FlopsStrategy;
import lem.api.flops.FlopsStrategyService;
import lem.api.flops.RequestShape;
import lem.api.flops.Workload;
import lem.api.model.ModelDescription;

/**
 * The rule of thumb: a forward pass costs 2 FLOPs per parameter per token. It leaves out the
 * attention over the context, so it underestimates long contexts; it needs only a parameter count.
 */
@Component(service = FlopsStrategy.class, property = "service.ranking:Integer=100")
@FlopsStrategyService(strategy = ParameterFlopsStrategy.NAME)
public class ParameterFlopsStrategy implements FlopsStrategy {
    static final String NAME = "parameters";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Confidence confidence() {
        return Confidence.LOW;
    }

    @Override
    public FlopsAnswer estimate(ModelDescription model, Workload workload) {
        long parameterCount;
        String countSource;
        if (model.parameterCount() > 0) {
            parameterCount = model.parameterCount();
            countSource = "parameter count reported by the backend";
        } else {
            ShapeLookup lookup = ShapeLookup.of(model);
            if (lookup.shape().isEmpty()) {
                return FlopsAnswer.none("no parameter count: the backend reported none, and " + lookup.reasonAbsent());
            }
            parameterCount = lookup.shape().get().parameterCount();
            countSource = "parameter count from config.json";
        }
        long prefillTokens = 0;
        long decodeTokens = 0;
        for (RequestShape request : workload.requests()) {
            prefillTokens += request.promptTokens();
            // the first generated token comes out of the prefill pass
            decodeTokens += Math.max(request.outputTokens() - 1, 0);
        }
        long prefillFlops;
        long decodeFlops;
        try {
            long flopsPerToken = Math.multiplyExact(2, parameterCount);
            prefillFlops = Math.multiplyExact(flopsPerToken, prefillTokens);
            decodeFlops = Math.multiplyExact(flopsPerToken, decodeTokens);
        } catch (ArithmeticException e) {
            return FlopsAnswer.none("the workload's FLOPs exceed " + Long.MAX_VALUE);
        }
        List<String> notes = new ArrayList<>();
        notes.add("2 x " + parameterCount + " parameters x tokens (" + countSource + "): prefill counts every "
                + "prompt token, decode every generated token after the first, which the prefill yields");
        notes.add("a rule of thumb: attention over the context is left out, and embedding parameters count as if "
                + "multiplied although a lookup reads them");
        QuantisedWeights.note(model).ifPresent(notes::add);
        return FlopsAnswer.of(new FlopsEstimate(NAME, confidence(), parameterCount, prefillFlops, decodeFlops,
                model.computePrecision(), notes));
    }
}
