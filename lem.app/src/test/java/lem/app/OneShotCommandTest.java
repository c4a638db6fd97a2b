package lem.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * `lem run "my exp.yaml" --set prompts.inline=[a,b]` must reach the command exactly as typed:
 * arguments cross from the script as framework properties and into Gogo quoted.
 */
class OneShotCommandTest {

    @Test
    void argumentsKeepTheirOrderAndSpaces() {
        Map<String, String> props = Map.of("lem.argc", "3", "lem.arg.0", "run", "lem.arg.1", "my exp.yaml",
                "lem.arg.2", "--set=a.b=c d");
        List<String> args = OneShotCommand.arguments(props::get);
        assertEquals(List.of("run", "my exp.yaml", "--set=a.b=c d"), args);
    }

    @Test
    void noArgumentsMeansInteractive() {
        assertEquals(List.of(), OneShotCommand.arguments(key -> null));
    }

    @Test
    void quotingKeepsGogoSyntaxLiteral() {
        assertEquals("'[a,b]'", OneShotCommand.quote("[a,b]"));
        assertEquals("'it\\'s'", OneShotCommand.quote("it's"));
        assertEquals("'$HOME ; echo'", OneShotCommand.quote("$HOME ; echo"));
    }
}
