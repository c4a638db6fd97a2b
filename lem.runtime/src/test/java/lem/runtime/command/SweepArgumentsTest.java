package lem.runtime.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

import lem.runtime.config.ConfigProblem;

/** A sweep's problems point at the argument the user typed, not at the campaign file lem wrote. */
class SweepArgumentsTest {
    private final UnaryOperator<ConfigProblem> relabel = CampaignCommands.sweepArguments("exp-sweep-20261130T000000Z.yaml",
            List.of("batching.batchsize=1,2", "precision=float16,float32"));

    @Test
    void aProblemOfAVariedKeyNamesItsVaryArgument() {
        ConfigProblem p = relabel.apply(new ConfigProblem("/tmp/lem-sweep1/exp-sweep-20261130T000000Z.yaml",
                "batching.batchsize", 6, "unknown key 'batchsize'; did you mean 'batch_size'?"));
        assertEquals("--vary batching.batchsize=1,2: batching.batchsize: unknown key 'batchsize'; did you mean 'batch_size'?",
                p.toString());
    }

    @Test
    void aProblemOfAnotherKeyOfTheSweepFileNamesTheSweepsOption() {
        ConfigProblem p = relabel.apply(new ConfigProblem("/r/campaigns/sweeps/exp-sweep-20261130T000000Z.yaml", "cycles", 9,
                "must be at least 1"));
        assertEquals("--cycles", p.file());
        assertEquals(0, p.line());
        assertEquals("lem sweep options", relabel.apply(new ConfigProblem("/r/exp-sweep-20261130T000000Z.yaml", "name", 2,
                "x")).file());
    }

    @Test
    void theBaseConfigsOwnProblemKeepsItsFileAndLine() {
        ConfigProblem own = new ConfigProblem("/home/u/exp.yaml", "precision", 3, "unknown precision");
        assertEquals(own, relabel.apply(own));
    }
}
