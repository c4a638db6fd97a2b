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
import lem.flops.analytical.TransformerShape;

/**
 * FLOPs worked out from the architecture in the model's config.json, request by request, with
 * the attention terms that grow with the context. The formulas are in {@link TransformerShape}.
 */
@Component(service = FlopsStrategy.class, property = "service.ranking:Integer=200")
@FlopsStrategyService(strategy = AnalyticalFlopsStrategy.NAME)
public class AnalyticalFlopsStrategy implements FlopsStrategy {
    static final String NAME = "analytical";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Confidence confidence() {
        return Confidence.MEDIUM;
    }

    @Override
    public FlopsAnswer estimate(ModelDescription model, Workload workload) {
        ShapeLookup lookup = ShapeLookup.of(model);
        if (lookup.shape().isEmpty()) {
            return FlopsAnswer.none(lookup.reasonAbsent());
        }
        TransformerShape shape = lookup.shape().get();
        long prefillFlops = 0;
        long decodeFlops = 0;
        long longestContext = 0;
        try {
            for (RequestShape request : workload.requests()) {
                prefillFlops = Math.addExact(prefillFlops, shape.prefillFlops(request.promptTokens()));
                decodeFlops = Math.addExact(decodeFlops,
                        shape.decodeFlops(request.promptTokens(), request.outputTokens()));
                longestContext = Math.max(longestContext, (long) request.promptTokens() + request.outputTokens());
            }
        } catch (ArithmeticException e) {
            return FlopsAnswer.none("the workload's FLOPs exceed " + Long.MAX_VALUE);
        }
        long parameterCount = shape.parameterCount();
        List<String> notes = new ArrayList<>();
        notes.add("from config.json: " + shape);
        notes.add("2 FLOPs per multiply-add over every linear layer, the LM head (last prompt position, then each "
                + "decode step) and attention QK^T and scores x V over all keys; bias adds, norms, activations, "
                + "softmax, rotary embedding, residuals and embedding lookups are not counted");
        notes.add("padding is not included: a backend that pads batched prompts, or keeps rows that finished "
                + "running in a static batch, executes more");
        if (shape.slidingWindowTokens() > 0 && longestContext > shape.slidingWindowTokens()) {
            notes.add("sliding-window attention (" + shape.slidingWindowTokens() + " tokens) counted as dense "
                    + "attention over all " + longestContext + " keys of the longest request");
        }
        if (model.parameterCount() > 0 && model.parameterCount() != parameterCount) {
            notes.add("the backend reports " + model.parameterCount() + " parameters; config.json gives "
                    + parameterCount);
        }
        QuantisedWeights.note(model).ifPresent(notes::add);
        return FlopsAnswer.of(new FlopsEstimate(NAME, confidence(), parameterCount, prefillFlops, decodeFlops,
                model.computePrecision(), notes));
    }
}
