package lem.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The distribution that {@code mvn package} assembles, started as a user starts it
 * ({@code bin/lem run ...}) and stopped the hard ways: SIGTERM, kill -9, out of memory, a full
 * disk. Afterwards the files on disk must say what happened: status.json, experiments.csv and what
 * {@code lem results list} and {@code lem aggregate} print.
 */
class RunStateIT {
    static final Path LEM = Path.of(System.getProperty("lem.distribution", "target/lem"), "bin", "lem")
            .toAbsolutePath();
    private static final long RUN_TIMEOUT_SECONDS = 300;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    /**
     * Five cycles of the embedded backend on a tiny synthetic model: each lasts long enough to be
     * signalled in, whatever the machine's load.
     */
    private Path config() throws IOException {
        return Files.writeString(work.resolve("slow.yaml"), """
                name: slow
                model: {source: synthetic, name: llama-tiny, seed: 42}
                precision: float32
                backend: {name: djl, device: cpu}
                batching: {strategy: static, batch_size: 4}
                decoder: {preset: deterministic, min_new_tokens: 32, max_new_tokens: 32}
                prompts: {source: synthetic, count: 24, synthetic: {input_tokens: 16}}
                warmup: {enabled: false}
                baseline: {enabled: false}
                cycles: 5
                output: {dir: results}
                """);
    }

    private ProcessBuilder lem(String... args) {
        List<String> command = new ArrayList<>(List.of(LEM.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile());
        builder.environment().put("LEM_CACHE_DIR", work.resolve("cache").toString());
        return builder;
    }

    private Process start(ProcessBuilder builder, String name) throws IOException {
        return builder.redirectOutput(work.resolve(name + ".out").toFile())
                .redirectError(work.resolve(name + ".err").toFile()).start();
    }

    private String output(String name) throws IOException {
        return Files.readString(work.resolve(name + ".out")) + Files.readString(work.resolve(name + ".err"));
    }

    /** Runs a one-shot command to its end; its exit status and what it printed. */
    private Finished run(String name, String... args) throws Exception {
        Process p = start(lem(args), name);
        assertTrue(p.waitFor(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS), "lem " + String.join(" ", args) + " still runs");
        return new Finished(p.exitValue(), output(name));
    }

    private record Finished(int status, String output) {
    }

    /** The one experiment folder under results/, once it exists. */
    private Path experiment(Path results) throws IOException {
        try (Stream<Path> children = Files.list(results)) {
            List<Path> dirs = children.filter(Files::isDirectory).toList();
            assertEquals(1, dirs.size(), dirs::toString);
            return dirs.get(0);
        }
    }

    /** Waits until the running process has written the raw file of {@code cycle}, so it now measures the next one. */
    private Path awaitCycleDone(Process p, String name, int cycle) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RUN_TIMEOUT_SECONDS);
        Path results = work.resolve("results");
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError("lem ended before cycle " + cycle + " finished:\n" + output(name));
            }
            if (Files.isDirectory(results)) {
                try (Stream<Path> raw = Files.find(results, 4, (path, attrs) -> path.endsWith(
                        Path.of("raw", "cycle_" + cycle, "process_0.json")))) {
                    if (raw.findAny().isPresent()) {
                        return experiment(results);
                    }
                } catch (java.io.UncheckedIOException e) {
                    // a temporary file renamed into place while the tree was walked: look again
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("cycle " + cycle + " did not finish in time:\n" + output(name));
    }

    private static JsonNode json(Path file) throws IOException {
        return JSON.readTree(file.toFile());
    }

    /** The experiment's row of experiments.csv. */
    private static String csvRow(Path experiment) throws IOException {
        String id = experiment.getFileName().toString();
        return Files.readAllLines(experiment.resolveSibling("experiments.csv"), StandardCharsets.UTF_8).stream()
                .filter(line -> line.startsWith(id + ",")).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + id + " in experiments.csv"));
    }

    @Test
    void sigtermStopsTheRunLikeCtrlCAndItsStateSaysSo() throws Exception {
        config();
        Process p = start(lem("run", "slow.yaml"), "run");
        Path experiment = awaitCycleDone(p, "run", 1);

        p.destroy(); // SIGTERM, as `timeout` or a scheduler's time limit sends it
        assertTrue(p.waitFor(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS));

        assertEquals(143, p.exitValue(), "the process still ends as SIGTERM asks (128 + 15)\n" + output("run"));
        JsonNode status = json(experiment.resolve("status.json"));
        assertEquals("INCOMPLETE", status.get("state").asText(), status::toString);
        assertEquals("terminated by SIGTERM", status.get("reason").asText());
        assertTrue(csvRow(experiment).contains(",incomplete,terminated by SIGTERM,"), csvRow(experiment));
        assertTrue(output("run").contains("incomplete: terminated by SIGTERM; finished cycles are kept in"), output("run"));
        JsonNode result = json(experiment.resolve("result.json"));
        assertFalse(result.get("complete").asBoolean());
        assertTrue(result.get("cycles_measured").asInt() >= 1, "cycle 1 is kept");
        assertTrue(json(experiment.resolve("raw/cycle_1/process_0.json")).get("complete").asBoolean());
    }

    @Test
    void afterKillMinus9InCycleThreeTheRunIsShownDeadAndAggregateSaysWhichCyclesAreMissing() throws Exception {
        config();
        Process p = start(lem("run", "slow.yaml"), "run");
        Path experiment = awaitCycleDone(p, "run", 2);

        p.destroyForcibly(); // SIGKILL: nothing in the process can react
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));

        JsonNode status = json(experiment.resolve("status.json"));
        assertEquals("RUNNING", status.get("state").asText(), "the killed process could not write its end");
        assertEquals(p.pid(), status.get("pid").asLong());
        String id = experiment.getFileName().toString();

        Finished list = run("list", "results", "list");
        assertEquals(0, list.status(), list.output());
        // the table wraps long cells within 120 columns: read the experiment's row with its continuation lines
        String row = list.output().substring(list.output().indexOf(id)).replaceAll("\\s+", " ");
        assertTrue(row.startsWith(id + " slow dead (its process (PID "), list.output());
        assertTrue(list.output().contains(p.pid() + " on "), "the dead process's PID and host: " + list.output());
        assertFalse(row.startsWith(id + " slow running"), list.output());

        Finished aggregate = run("aggregate", "aggregate", id);
        assertEquals(0, aggregate.status(), aggregate.output());
        assertTrue(aggregate.output().contains("cycles 3-5 of 5 planned have no raw file: the run ended before them; its "
                + "process (PID " + p.pid()), aggregate.output());
        JsonNode result = json(experiment.resolve("result.json"));
        assertFalse(result.get("complete").asBoolean(), "2 of 5 cycles is not complete");
        assertEquals(2, result.get("cycles_measured").asInt());
        assertTrue(csvRow(experiment).contains(",dead,"), csvRow(experiment));
    }

    @Test
    void anOutOfMemoryErrorLeavesTheRunIncompleteWithTheReasonARowAndAShowableResult() throws Exception {
        config();
        ProcessBuilder builder = lem("run", "slow.yaml", "--set", "prompts.count=4000000");
        // millions of prompts do not fit a small heap: a real OutOfMemoryError while the run plans its requests
        builder.environment().put("LEM_JAVA_OPTS", "-Xmx160m");
        Process p = start(builder, "run");
        assertTrue(p.waitFor(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS));

        assertEquals(1, p.exitValue(), output("run"));
        assertTrue(output("run").contains("incomplete: out of memory (Java heap space)"), output("run"));
        Path experiment = experiment(work.resolve("results"));
        JsonNode status = json(experiment.resolve("status.json"));
        assertEquals("INCOMPLETE", status.get("state").asText());
        assertTrue(status.get("reason").asText().startsWith("out of memory (Java heap space)"), status::toString);
        assertTrue(csvRow(experiment).contains(",incomplete,out of memory (Java heap space)"), csvRow(experiment));

        Finished show = run("show", "results", "show", experiment.getFileName().toString());
        assertEquals(0, show.status(), show.output());
        assertTrue(show.output().contains("Nothing measured: no cycle of this experiment is complete"), show.output());
        assertTrue(show.output().contains("the run stopped: out of memory"), show.output());
    }

    @Test
    void aFullDiskLeavesTheRunIncompleteWithTheReasonAndItsRow() throws Exception {
        config();
        Path results = Files.createDirectories(work.resolve("results"));
        // a real tmpfs of 4 MB on results/, in a mount namespace of its own; filled once cycle 1 is on it
        Files.writeString(work.resolve("full.sh"), """
                set -u
                mount -t tmpfs -o size=4m tmpfs results || exit 90
                "$LEM" run slow.yaml > run.out 2> run.err &
                pid=$!
                until ls results/*/raw/cycle_1/process_0.json >/dev/null 2>&1; do
                  kill -0 $pid 2>/dev/null || break
                  sleep 0.05
                done
                cat /dev/zero > results/filler 2>/dev/null
                df -k results > df.txt
                wait $pid
                echo $? > rc.txt
                cp -r results copied
                """);
        assumeTrue(new ProcessBuilder("unshare", "-rm", "true").start().waitFor() == 0,
                "unshare -rm (user and mount namespaces) is needed to mount a tmpfs");
        ProcessBuilder builder = new ProcessBuilder("unshare", "-rm", "sh", "full.sh").directory(work.toFile());
        builder.environment().put("LEM", LEM.toString());
        builder.environment().put("LEM_CACHE_DIR", work.resolve("cache").toString());
        Process p = builder.redirectErrorStream(true).redirectOutput(work.resolve("full.log").toFile()).start();
        assertTrue(p.waitFor(RUN_TIMEOUT_SECONDS * 2, TimeUnit.SECONDS));

        assertEquals(0, p.exitValue(), Files.readString(work.resolve("full.log")));
        assertTrue(Files.readString(work.resolve("df.txt")).contains("100%"), Files.readString(work.resolve("df.txt")));
        assertEquals("1", Files.readString(work.resolve("rc.txt")).trim(), output("run"));
        Path experiment = experiment(work.resolve("copied"));
        JsonNode status = json(experiment.resolve("status.json"));
        assertEquals("INCOMPLETE", status.get("state").asText(), status::toString);
        assertTrue(status.get("reason").asText().contains("No space left on device"), status::toString);
        String row = csvRow(experiment);
        assertTrue(row.contains(",incomplete,") && row.contains("No space left on device"), row);
        assertTrue(json(experiment.resolve("raw/cycle_1/process_0.json")).get("complete").asBoolean(),
                "the cycle finished before the disk filled is kept");
        assertTrue(output("run").contains("No space left on device"), output("run"));
        assertTrue(Files.isDirectory(results));
    }
}
