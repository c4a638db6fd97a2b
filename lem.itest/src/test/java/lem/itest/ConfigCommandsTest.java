package lem.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.osgi.framework.BundleContext;

import lem.runtime.command.CommandFailure;

/**
 * A config with five different mistakes gets five clear messages (file, line, key) and nothing
 * runs; {@code lem:config validate} says the same, and accepts a good file; {@code lem:config
 * show --provenance} says where each value came from.
 */
class ConfigCommandsTest extends ShellRunTest {
    /** Line in the file below -> key path and a word its message must hold. */
    private static final Map<Integer, List<String>> MISTAKES = Map.of(
            3, List.of("backend.name", "no-such-backend"),
            5, List.of("precision", "float33"),
            7, List.of("batching.batch_sise", "batch_size"),
            9, List.of("decoder.top_p", "1.5"),
            10, List.of("cycles", "integer"));

    private static final String FIVE_MISTAKES = """
            name: five-mistakes
            backend:
              name: no-such-backend
            model: {source: synthetic, name: paced-tiny}
            precision: float33
            batching:
              batch_sise: 4
            decoder:
              top_p: 1.5
            cycles: two
            """;


    @BeforeEach
    void register(TestInfo test) throws Exception {
        runs(test, ExperimentRuns.pacedBackend());
    }

    @Test
    void fiveMistakesGiveFiveMessagesAndNothingRuns() throws Exception {
        Path file = runs.write("mistakes.yaml", FIVE_MISTAKES);
        Shell shell = new Shell(processor);

        Shell.Outcome run = shell.execute("lem:run " + file);
        assertFiveProblems(file, run);
        assertEquals(0, runs.backend.tokensReported.get(), "nothing ran");
        assertTrue(runs.meter.readings.isEmpty(), "nothing was measured");

        Shell.Outcome validate = shell.execute("lem:config validate " + file);
        assertFiveProblems(file, validate);
        assertEquals(problemLines(run.err()), problemLines(validate.err()), "lem:config validate says what lem:run said");
    }

    private static void assertFiveProblems(Path file, Shell.Outcome outcome) {
        assertInstanceOf(CommandFailure.class, outcome.failure(), outcome.transcript());
        assertTrue(outcome.failure().getMessage().startsWith("5 problems in " + file), outcome.failure().getMessage());
        List<String> lines = problemLines(outcome.err());
        assertEquals(5, lines.size(), outcome.transcript());
        MISTAKES.forEach((line, expected) -> {
            String prefix = file + ":" + line + ": " + expected.get(0) + ": ";
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(prefix) && l.substring(prefix.length()).contains(expected.get(1))),
                    "no line starting '" + prefix + "' naming " + expected.get(1) + " in\n" + outcome.err());
        });
        assertFalse(outcome.err().contains("\tat "), "no stack trace for a user's mistake");
    }

    private static List<String> problemLines(String err) {
        return Arrays.stream(err.split("\\R")).filter(l -> !l.isBlank()).toList();
    }

    @Test
    void validateAcceptsAGoodFileAndShowSaysWhereEachValueCameFrom() throws Exception {
        Path file = runs.write("good.yaml", runs.config(2));
        Shell shell = new Shell(processor);

        String validated = shell.run("lem:config validate " + file);
        assertTrue(validated.contains("ok: " + file + " is valid"), validated);

        String shown = shell.run("lem:config show " + file + " --provenance");
        int cyclesLine = Arrays.asList(runs.config(2).split("\n")).indexOf("cycles: 2") + 1;
        assertTrue(Pattern.compile("(?m)^cycles: 2\\s+# from " + Pattern.quote(file + ":" + cyclesLine) + "$").matcher(shown).find(),
                shown);
        // a key the file does not set comes from the defaults
        assertTrue(Pattern.compile("(?m)^\\s+temperature: 0\\.0\\s+# from default$").matcher(shown).find(), shown);

        String overridden = shell.run("lem:config show " + file + " --provenance --set cycles=4");
        assertTrue(Pattern.compile("(?m)^cycles: 4\\s+# from --set").matcher(overridden).find(), overridden);
    }

    /** The test config with one text replaced, as a user's edit would. */
    private Path variant(String file, String text, String replacement) throws Exception {
        String config = runs.config(1);
        assertTrue(config.contains(text), text);
        return runs.write(file, config.replace(text, replacement));
    }

    /**
     * Configs that the schema accepts but that cannot run (a model the backend does not have, its
     * options wrong, a GPU it cannot use, text prompts for a model without a tokenizer, prompts longer
     * than the model's positions, a request rate that never sends): {@code lem:config validate}
     * refuses each with the key and line to change, and {@code lem:run} refuses it the same way
     * before it writes anything, neither a results folder nor a CSV row.
     */
    @Test
    void whatCannotRunIsRefusedByValidateAndRunAndNothingIsWritten() throws Exception {
        Path prompts = runs.write("prompts.txt", "a text prompt\n");
        String backend = "  name: " + ExperimentRuns.BACKEND + "\n";
        String synthetic = "  source: synthetic\n  count: " + ExperimentRuns.REQUESTS_PER_CYCLE
                + "\n  synthetic:\n    input_tokens: 8\n";
        Map<Path, List<String>> cases = Map.of(
                variant("model.yaml", "name: paced-tiny", "name: pacedtiny"),
                List.of(":4: model.name: model 'pacedtiny' is not one of itest-paced's: paced-tiny; did you mean 'paced-tiny'?"),
                variant("options.yaml", backend, backend + "  " + ExperimentRuns.BACKEND + ": {bogus: 1, threads: -5}\n"),
                List.of(":7: backend.itest-paced.bogus: option 'bogus' is unknown; allowed: threads",
                        ":7: backend.itest-paced.threads: threads = -5 must be a positive integer"),
                variant("device.yaml", backend, backend + "  device: cuda:99\n"),
                List.of(":7: backend.device: the itest-paced backend cannot run on cuda:99; it supports [cpu]"),
                variant("text.yaml", synthetic, "  source: file\n  file: " + prompts + "\n  count: 4\n"),
                List.of(": prompts.file: the itest-paced backend cannot turn text prompts into tokens for model 'paced-tiny'"),
                variant("long.yaml", "input_tokens: 8", "input_tokens: 60"),
                List.of(": prompts.synthetic.input_tokens: prompts of 60 tokens + decoder.max_new_tokens "
                        + ExperimentRuns.TOKENS_PER_REQUEST + " = 66 positions, but model 'paced-tiny' takes at most 64"),
                variant("rate.yaml", "cycles: 1", "cycles: 1\ntraffic: {pattern: constant, target_qps: 1e-300}"),
                List.of(": traffic.target_qps: must be between 0.001 and 1000000, got 1.0E-300"));
        Shell shell = new Shell(processor);
        for (Map.Entry<Path, List<String>> c : cases.entrySet()) {
            Path file = c.getKey();
            Shell.Outcome validate = shell.execute("lem:config validate " + file);
            Shell.Outcome run = shell.execute("lem:run " + file);
            for (Shell.Outcome outcome : List.of(validate, run)) {
                assertInstanceOf(CommandFailure.class, outcome.failure(), outcome.transcript());
                assertTrue(outcome.failure().getMessage().endsWith("in " + file + "; nothing was run"), outcome.transcript());
                assertFalse(outcome.err().contains("\tat "), "no stack trace for a user's mistake");
                for (String expected : c.getValue()) {
                    assertTrue(problemLines(outcome.err()).stream().anyMatch(l -> l.startsWith(file.toString()) && l.contains(expected)),
                            "'" + expected + "' missing in\n" + outcome.transcript());
                }
            }
            assertEquals(problemLines(validate.err()), problemLines(run.err()), "lem:config validate says what lem:run said");
            assertFalse(Files.exists(runs.resultsRoot), file + ": nothing written under " + runs.resultsRoot);
        }
        assertEquals(0, runs.backend.tokensReported.get(), "nothing ran");
        assertTrue(runs.meter.readings.isEmpty(), "nothing was measured");

        String ok = shell.run("lem:config validate " + runs.write("good.yaml", runs.config(1)));
        assertTrue(ok.contains("is valid") && ok.contains("for backend " + ExperimentRuns.BACKEND), ok);
    }

    @Test
    void aBaselineIsKeptOnDiskAndTheDryRunSaysItWillBeReused() throws Exception {
        Path file = runs.write("baseline.yaml", runs.config(1));
        Shell shell = new Shell(processor);

        String baseline = shell.run("lem:baseline --duration 0.3 --interval-ms 20 --source " + ExperimentRuns.METER);
        String row = baseline.lines().filter(l -> l.startsWith(ExperimentRuns.METER + " ")).findFirst().orElseThrow(
                () -> new AssertionError(baseline));
        assertTrue(row.endsWith("  temperature_c=45"), "the device's state while sampled, as key=value: " + row);
        assertFalse(baseline.contains("{}"), baseline);
        Path cache = Path.of(context.getProperty("lem.cache.dir"), "baselines.json");
        assertTrue(baseline.contains("Kept in " + cache + ": runs on this host"), baseline);
        assertTrue(java.nio.file.Files.readString(cache).contains(ExperimentRuns.METER), "on disk for later processes");

        String plan = shell.run("lem:run " + file + " --dry-run");
        assertTrue(Pattern.compile("(?m)^baseline\\s+" + ExperimentRuns.METER + ": reused, taken \\d+ s ago \\(0\\.3\\d* s\\)$")
                .matcher(plan).find(), plan);
    }

    @Test
    void aBaselineOfAnEstimateSaysPlainlyThatNothingCanBeBaselined() {
        Shell.Outcome outcome = new Shell(processor).execute("lem:baseline --duration 0.2 --source codecarbon");

        assertInstanceOf(CommandFailure.class, outcome.failure(), outcome.transcript());
        String message = outcome.failure().getMessage();
        assertTrue(message.startsWith("nothing to baseline: no source named measures power here (codecarbon "
                + "only estimates power"), message);
        assertTrue(message.contains("baseline-adjusted energy equals the raw energy"), message);
    }
}
