package lem.runtime.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class OptionsTest {
    private static final Set<String> VALUED = Set.of("--cycles", "--set");
    private static final Set<String> FLAGS = Set.of("--dry-run");

    private static Options parse(String... args) {
        return Options.parse("lem run", args, VALUED, FLAGS);
    }

    private static String failure(String... args) {
        return assertThrows(CommandFailure.class, () -> parse(args)).getMessage();
    }

    @Test
    void repeatedSetKeepsEveryValueInOrder() {
        Options o = parse("--set", "batching.batch_size=8", "--set=decoder.seed=3", "--set", "cycles=2");
        assertEquals(List.of("batching.batch_size=8", "decoder.seed=3", "cycles=2"), o.all("--set"));
    }

    @Test
    void nameEqualsValueSplitsAtTheFirstEquals() {
        Options o = parse("--cycles=4", "--set=model.name=a=b");
        assertEquals("4", o.one("--cycles", null));
        assertEquals(List.of("model.name=a=b"), o.all("--set"));
    }

    @Test
    void flagsAndPositionalsAreKeptApart() {
        Options o = parse("exp.yaml", "--dry-run", "extra");
        assertTrue(o.flag("--dry-run"));
        assertEquals(List.of("exp.yaml", "extra"), o.positional);
        assertFalse(parse("exp.yaml").flag("--dry-run"));
        assertEquals(List.of(), parse().all("--set"));
        assertEquals(List.of(), Options.parse("lem run", null, VALUED, FLAGS).positional);
    }

    @Test
    void theLastValueOfASingleOptionWins() {
        assertEquals("5", parse("--cycles", "2", "--cycles", "5").one("--cycles", "1"));
        assertEquals("1", parse().one("--cycles", "1"));
    }

    @Test
    void aMissingValueIsNamed() {
        assertEquals("lem run: --cycles needs a value", failure("exp.yaml", "--cycles"));
    }

    @Test
    void anUnknownOptionListsTheAllowedOnes() {
        assertEquals("lem run: unknown option --cylces; allowed: --cycles, --dry-run, --set", failure("--cylces", "3"));
        assertEquals("lem run: unknown option --dry-run=yes; allowed: --cycles, --dry-run, --set", failure("--dry-run=yes"));
        String none = assertThrows(CommandFailure.class,
                () -> Options.parse("lem results list", new String[] {"--csv"}, Set.of(), Set.of())).getMessage();
        assertEquals("lem results list: unknown option --csv (it takes none)", none);
    }

    @Test
    void wholeNumbersAreCheckedForFormAndMinimum() {
        assertEquals(3, parse("--cycles", " 3 ").integer("lem run", "--cycles", 1, 1));
        assertEquals(1, parse().integer("lem run", "--cycles", 1, 1));
        assertEquals("lem run: --cycles needs a whole number, got 'three'",
                assertThrows(CommandFailure.class, () -> parse("--cycles", "three").integer("lem run", "--cycles", 1, 1))
                        .getMessage());
        assertEquals("lem run: --cycles needs a whole number, got '2.5'",
                assertThrows(CommandFailure.class, () -> parse("--cycles", "2.5").integer("lem run", "--cycles", 1, 1))
                        .getMessage());
        assertEquals("lem run: --cycles must be >= 1, got 0",
                assertThrows(CommandFailure.class, () -> parse("--cycles", "0").integer("lem run", "--cycles", 1, 1))
                        .getMessage());
    }

    @Test
    void decimalsAreCheckedForFormAndMinimum() {
        Set<String> valued = Set.of("--duration");
        assertEquals(0.5, Options.parse("lem x", new String[] {"--duration", "0.5"}, valued, Set.of())
                .decimal("lem x", "--duration", 1, 0), 0);
        assertEquals("lem x: --duration needs a number, got 'soon'", assertThrows(CommandFailure.class,
                () -> Options.parse("lem x", new String[] {"--duration=soon"}, valued, Set.of())
                        .decimal("lem x", "--duration", 1, 0)).getMessage());
        assertEquals("lem x: --duration must be >= 0.0, got -1", assertThrows(CommandFailure.class,
                () -> Options.parse("lem x", new String[] {"--duration", "-1"}, valued, Set.of())
                        .decimal("lem x", "--duration", 1, 0)).getMessage());
        assertEquals("lem x: --duration must be >= 0.0, got NaN", assertThrows(CommandFailure.class,
                () -> Options.parse("lem x", new String[] {"--duration", "NaN"}, valued, Set.of())
                        .decimal("lem x", "--duration", 1, 0)).getMessage());
    }
}
