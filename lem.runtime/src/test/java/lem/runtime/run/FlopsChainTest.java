package lem.runtime.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import lem.api.flops.Confidence;
import lem.api.flops.FlopsAnswer;
import lem.api.flops.FlopsEstimate;
import lem.api.flops.FlopsStrategy;
import lem.api.flops.RequestShape;
import lem.api.flops.Workload;
import lem.api.model.ModelDescription;
import lem.api.model.Precision;
import lem.runtime.plugin.PluginService;
import lem.runtime.results.FlopsAttempt;

class FlopsChainTest {
    private static final ModelDescription MODEL = new ModelDescription("m", "llama", 7_000_000L, Precision.BFLOAT16,
            Precision.BFLOAT16, "none", Map.of());
    private static final Workload WORKLOAD = new Workload(List.of(new RequestShape(10, 5)), Optional.empty());

    private final List<String> asked = new ArrayList<>();

    private PluginService<FlopsStrategy> strategy(String name, FlopsAnswer answer, RuntimeException failure) {
        FlopsStrategy s = new FlopsStrategy() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Confidence confidence() {
                return Confidence.MEDIUM;
            }

            @Override
            public FlopsAnswer estimate(ModelDescription model, Workload workload) {
                asked.add(name);
                assertSame(MODEL, model);
                assertSame(WORKLOAD, workload);
                if (failure != null) {
                    throw failure;
                }
                return answer;
            }
        };
        return new PluginService<>(name, "b", "1", "ACTIVE", 0, s);
    }

    private static FlopsAnswer estimate(String strategy, long prefill, long decode) {
        return FlopsAnswer.of(new FlopsEstimate(strategy, Confidence.MEDIUM, MODEL.parameterCount(), prefill, decode,
                Precision.BFLOAT16, List.of()));
    }

    @Test
    void theFirstStrategyThatAnswersWinsAndLaterOnesAreNotAsked() {
        FlopsChain chain = new FlopsChain(List.of(strategy("counted", FlopsAnswer.none("backend counts nothing"), null),
                strategy("analytical", estimate("analytical", 100, 50), null),
                strategy("parameters", estimate("parameters", 1, 1), null)));

        FlopsChain.Outcome outcome = chain.estimate(MODEL, WORKLOAD);

        assertEquals("analytical", outcome.estimate().strategy());
        assertEquals(150, outcome.estimate().totalFlops());
        assertEquals(List.of(new FlopsAttempt("counted", false, "backend counts nothing"),
                new FlopsAttempt("analytical", true, "")), outcome.attempts());
        assertEquals(List.of("counted", "analytical"), asked);
    }

    @Test
    void aStrategyThatThrowsCountsAsNotAnsweringAndTheChainGoesOn() {
        FlopsChain chain = new FlopsChain(List.of(strategy("broken", null, new IllegalStateException("boom")),
                strategy("parameters", estimate("parameters", 7, 3), null)));

        FlopsChain.Outcome outcome = chain.estimate(MODEL, WORKLOAD);

        assertEquals("parameters", outcome.estimate().strategy());
        FlopsAttempt broken = outcome.attempts().get(0);
        assertEquals("broken", broken.strategy());
        assertTrue(!broken.answered());
        assertTrue(broken.reason().startsWith("failed: ") && broken.reason().contains("boom"), broken.reason());
    }

    @Test
    void whenNoneAnswersEveryAttemptIsListedWithItsReason() {
        FlopsChain chain = new FlopsChain(List.of(strategy("a", FlopsAnswer.none("unknown architecture"), null),
                strategy("b", FlopsAnswer.none("no parameter count"), null)));

        FlopsChain.Outcome outcome = chain.estimate(MODEL, WORKLOAD);

        assertNull(outcome.estimate());
        assertEquals(List.of(new FlopsAttempt("a", false, "unknown architecture"),
                new FlopsAttempt("b", false, "no parameter count")), outcome.attempts());
    }

    @Test
    void anEmptyChainSaysThatNoStrategyIsRegistered() {
        FlopsChain.Outcome outcome = new FlopsChain(List.of()).estimate(MODEL, WORKLOAD);
        assertNull(outcome.estimate());
        assertEquals(List.of(new FlopsAttempt("(none)", false, "no FLOPs strategy is registered")), outcome.attempts());
    }
}
