package lem.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built distribution ({@code target/lem/bin/lem}) as a user runs it, after {@code package}:
 * the interactive shell fed through its standard input, and one-shot commands. Every line it
 * prints fits 120 columns.
 */
class DistributionIT {
    private static final Path MODULE = Path.of(System.getProperty("user.dir"));
    private static final Path LEM = MODULE.resolve("target/lem/bin/lem");
    /** The soak benchmark's experiment: the quickstart cut to about a second. */
    private static final Path CONFIG = MODULE.resolve("src/bench/soak.yaml");
    private static final int WIDTH = 120;

    @TempDir
    Path work;

    record Outcome(int status, String out, String err) {
        String transcript() {
            return "status " + status + "\n" + out + "\n[stderr]\n" + err;
        }
    }

    private Outcome lem(String input, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(LEM.toString()));
        command.addAll(List.of(args));
        Path out = work.resolve("out.txt");
        Path err = work.resolve("err.txt");
        Path in = work.resolve("in.txt");
        Files.writeString(in, input);
        Process p = new ProcessBuilder(command).directory(work.toFile()).redirectInput(in.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("lem " + args.length + " did not finish: " + Files.readString(out));
        }
        return new Outcome(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static void assertFits(Outcome o) {
        for (String printed : (o.out() + "\n" + o.err()).split("\\R")) {
            // piped input is not echoed: a command's first line shares the line with the prompt
            String line = printed.replaceFirst("^(lem> )+", "");
            if (line.startsWith("gogo: ")) {
                continue; // the Gogo shell's own report of a failed command, on one line (the one-shot form wraps)
            }
            for (String update : line.split("\r")) {
                assertTrue(update.length() <= WIDTH, update.length() + " columns: " + update + "\n" + o.transcript());
            }
        }
    }

    @Test
    void theShellRunsExperimentsListsAmbiguousIdsAndStopsOnPlainExit() throws Exception {
        Outcome o = lem("help\nrun " + CONFIG + "\nrun " + CONFIG + "\nresults show soak\nexit\n");

        assertEquals(0, o.status(), o.transcript());
        assertFits(o);
        // help: lem's commands first, the framework's after them
        int lemRun = o.out().indexOf("\n  run ");
        int framework = o.out().indexOf("Framework commands");
        assertTrue(lemRun > 0 && framework > lemRun, o.transcript());
        // two experiments start with "soak": both are named, none is "no experiment"
        Matcher ids = Pattern.compile("Results: .*/results/(soak-\\S+)").matcher(o.out());
        List<String> found = new ArrayList<>();
        while (ids.find()) {
            found.add(ids.group(1));
        }
        assertEquals(2, found.size(), o.transcript());
        String all = (o.out() + o.err()).replaceAll("\\s+", " ");
        assertTrue(all.contains("'soak' is ambiguous: 2 experiments"), o.transcript());
        assertTrue(all.contains(found.get(0)) && all.contains(found.get(1)), o.transcript());
        assertFalse(all.contains("no experiment 'soak'"), o.transcript());
        Outcome oneShot = lem("", "results", "show", "soak");
        assertEquals(1, oneShot.status(), oneShot.transcript());
        assertTrue(oneShot.err().replaceAll("\\s+", " ").startsWith("lem: 'soak' is ambiguous: 2 experiments"), oneShot.transcript());
        assertFits(oneShot);
        // an unknown peak memory is absent from result.json, "n/a" in the table
        Path result = work.resolve("results").resolve(found.get(0)).resolve("result.json");
        assertFalse(Files.readString(result).contains("peak_device_memory_bytes"), Files.readString(result));
        assertTrue(o.out().matches("(?s).*peak device memory\\s+n/a\\n.*"), o.transcript());
        // emissions.csv rows carry their time zone
        try (Stream<String> lines = Files.lines(work.resolve("results").resolve(found.get(0)).resolve("emissions.csv"))) {
            String row = lines.skip(1).findFirst().orElseThrow();
            assertTrue(row.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(Z|[+-]\\d\\d:\\d\\d),.*"), row);
        }
    }

    @Test
    void helpOptionsPrintACommandsHelpInOneShotMode() throws Exception {
        for (String option : List.of("--help", "-h")) {
            Outcome o = lem("", "flops", option);
            assertEquals(0, o.status(), o.transcript());
            assertTrue(o.out().contains("FLOPs of one request on a model"), o.transcript());
            assertFalse((o.out() + o.err()).contains("is not a config.json"), o.transcript());
            assertFits(o);
        }
        Outcome run = lem("", "help", "run");
        assertEquals(0, run.status(), run.transcript());
        assertTrue(run.out().replaceAll("\\s+", " ").contains("--dry-run (validate and show the plan"), run.transcript());
        assertFits(run);
    }

    @Test
    void energyAndBackendListingsFit120Columns() throws Exception {
        Outcome energy = lem("", "energy");
        assertEquals(0, energy.status(), energy.transcript());
        assertTrue(energy.out().contains("REASON"), energy.transcript());
        assertFits(energy);
    }
}
