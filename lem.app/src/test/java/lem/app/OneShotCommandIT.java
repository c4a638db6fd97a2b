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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lem <command>} as a script calls it: the assembled distribution's {@code bin/lem} in its
 * own process, one Felix framework per command, judged by exit status and what it prints.
 */
class OneShotCommandIT {
    private static final Path LEM = Path.of(System.getProperty("lem.it.distribution", "target/lem"), "bin", "lem");

    @TempDir
    Path folder;

    record Exit(int status, String out, String err) {
        String transcript() {
            return "exit " + status + "\n[stdout]\n" + out + "\n[stderr]\n" + err;
        }
    }

    private Exit lem(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(LEM.toString()));
        command.addAll(List.of(args));
        Path out = folder.resolve("out.txt");
        Path err = folder.resolve("err.txt");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        Path plugins = Files.createDirectories(folder.resolve("plugins"));
        builder.environment().put("LEM_PLUGINS", plugins.toString());
        builder.environment().put("TMPDIR", Files.createDirectories(folder.resolve("tmp")).toString());
        builder.environment().remove("LEM_DEBUG");
        Process process = builder.start();
        if (!process.waitFor(180, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("lem " + String.join(" ", args) + " did not exit within 180 s");
        }
        return new Exit(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void aCommandThatSucceedsPrintsItsResultAndExitsZero() throws Exception {
        Exit exit = lem("flops");

        assertEquals(0, exit.status(), exit.transcript());
        // the strategies in the order they are asked, as lem:flops lists them in the shell
        int counted = exit.out().indexOf("counted");
        int analytical = exit.out().indexOf("analytical");
        int parameters = exit.out().indexOf("parameters");
        assertTrue(counted >= 0 && counted < analytical && analytical < parameters, exit.transcript());
        assertEquals("", exit.err().strip(), exit.transcript());
    }

    @Test
    void aCommandThatFailsSaysWhyWithoutAStackTraceAndExitsOne() throws Exception {
        Path missing = folder.resolve("no-such-experiment.yaml");

        Exit exit = lem("run", missing.toString());

        assertEquals(1, exit.status(), exit.transcript());
        // the problem, naming the file, then lem's one-line verdict
        assertTrue(exit.err().contains(missing + ": config file not found"), exit.transcript());
        assertTrue(exit.err().contains("\nlem: 1 problem in " + missing + "; nothing was run"), exit.transcript());
        assertFalse(exit.err().contains("\tat "), "no stack trace for a user mistake:\n" + exit.transcript());
        assertFalse(Files.exists(folder.resolve("results")), "nothing was run");
    }

    @Test
    void anUnknownCommandListsTheCommandsThereAreAndExitsTwo() throws Exception {
        Exit exit = lem("frobnicate");

        assertEquals(2, exit.status(), exit.transcript());
        assertTrue(exit.err().startsWith("lem: unknown command 'frobnicate'. Commands: "), exit.transcript());
        for (String command : List.of("run", "results", "aggregate", "flops", "energy")) {
            assertTrue(exit.err().matches("(?s).*Commands: [^\\n]*\\b" + command + "\\b.*"), command + "\n" + exit.transcript());
        }
        assertEquals("", exit.out().strip(), exit.transcript());
    }
}
