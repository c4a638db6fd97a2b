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
        // Gogo has no escape inside quotes: an argument with a single quote is escaped character by character
        assertEquals("it\\'s", OneShotCommand.quote("it's"));
        assertEquals("SELECT\\ \\*\\ FROM\\ e\\ WHERE\\ n\\ \\=\\ \\'a\\ b\\'", OneShotCommand.quote("SELECT * FROM e WHERE n = 'a b'"));
        assertEquals("'$HOME ; echo'", OneShotCommand.quote("$HOME ; echo"));
    }

    /** Echoes its arguments, joined with |, as Gogo hands them over. */
    public static final class Echo {
        public String echo(String... args) {
            return String.join("|", args);
        }
    }

    @Test
    void gogoReadsEveryQuotedArgumentBackAsTyped() throws Exception {
        org.apache.felix.gogo.runtime.threadio.ThreadIOImpl threads = new org.apache.felix.gogo.runtime.threadio.ThreadIOImpl();
        threads.start();
        try {
            org.apache.felix.gogo.runtime.CommandProcessorImpl processor = new org.apache.felix.gogo.runtime.CommandProcessorImpl(threads);
            processor.addCommand("t", new Echo(), "echo");
            var session = processor.createSession(System.in, System.out, System.err);
            for (String arg : List.of("SELECT batch_size FROM experiments WHERE campaign_name = 'sweep' AND x <> '$y' -- it's",
                    "it's", "[a,b]", "$HOME ; echo", "a \"q\" b\\c {x} (y) | z", "my exp.yaml", "--set=a.b=c d", "null",
                    "caf\u00e9 'd\u00e9j\u00e0'")) {
                assertEquals(arg, session.execute("t:echo " + OneShotCommand.quote(arg)), "quoted as " + OneShotCommand.quote(arg));
            }
        } finally {
            threads.stop();
        }
    }
}
