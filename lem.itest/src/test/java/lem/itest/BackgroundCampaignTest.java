package lem.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;

import com.fasterxml.jackson.databind.JsonNode;

import lem.api.backend.InferenceBackend;

/**
 * {@code lem:campaign start | status | pause | cancel} typed in the host's shell: the campaign runs
 * in the background while the shell answers, pauses after its run in flight, cancels keeping what
 * was measured, queues behind another without overlapping it, uses a backend bundle updated in
 * plugins/ from its next experiment on, and ends cleanly when the host stops.
 */
class BackgroundCampaignTest extends ShellRunTest {
    private static final Pattern STARTED = Pattern.compile("campaign (\\S+) (started|continues) in the background");
    private static final long WAIT_SECONDS = 60;


    /** Nothing of a test keeps running into the next: what is still queued, running or paused is cancelled (then the runs close). */
    @AfterEach
    void unregister() throws InterruptedException {
        Shell shell = new Shell(processor);
        Shell.Outcome status = shell.execute("lem:campaign status");
        for (String line : status.out().split("\\R")) {
            String[] cells = line.strip().split("\\s{2,}");
            if (cells.length > 1 && List.of("queued", "running", "paused").contains(cells[1])) {
                shell.execute("lem:campaign cancel " + cells[0]);
                if (runs != null) {
                    runs.backend.release.countDown();
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
                while (List.of("queued", "running").contains(statusRow(shell, cells[0]).get(1))
                        && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
            }
        }
    }

    private Path campaign(String name, String grid) throws IOException {
        return campaign(name, grid, "");
    }

    private Path campaign(String name, String grid, String extra) throws IOException {
        return runs.write(name + ".yaml", """
                name: %s
                base: exp.yaml
                grid:
                %s
                cycles: 1
                output_dir: %s
                """.formatted(name, grid, runs.resultsRoot) + extra);
    }

    /**
     * Starts a campaign of {@code grid} over the paced backend blocking in measurement batch
     * {@code blockInBatch}; returns its id once the run is held in the backend.
     */
    private String startBlocked(TestInfo test, int blockInBatch, int cycles, String name, String grid) throws Exception {
        runs(test, ExperimentRuns.pacedBackend().blockingInBatch(blockInBatch));
        runs.write("exp.yaml", runs.config(cycles));
        String id = started(new Shell(processor).execute("lem:campaign start " + campaign(name, grid)));
        assertTrue(runs.backend.blocked.await(WAIT_SECONDS, TimeUnit.SECONDS), "a run of " + id + " is measuring");
        return id;
    }

    private static String started(Shell.Outcome start) {
        assertFalse(start.failed(), start.transcript());
        Matcher m = STARTED.matcher(start.out());
        assertTrue(m.find(), start.transcript());
        return m.group(1);
    }

    /** The cells of the campaign's row in {@code lem:campaign status}: id, state, done, running, left, failed, ETA. */
    private List<String> statusRow(Shell shell, String id) {
        Shell.Outcome status = shell.execute("lem:campaign status");
        assertFalse(status.failed(), status.transcript());
        for (String line : status.out().split("\\R")) {
            if (line.startsWith(id + " ")) {
                return List.of(line.strip().split("\\s{2,}"));
            }
        }
        throw new AssertionError("no row for " + id + ":\n" + status.transcript());
    }

    private void awaitState(Shell shell, String id, String state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        List<String> row = statusRow(shell, id);
        while (!row.get(1).equals(state)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(id + " never became " + state + ": " + row + "\n"
                        + shell.execute("lem:campaign status " + id).transcript());
            }
            Thread.sleep(50);
            row = statusRow(shell, id);
        }
    }

    private Path campaignFolder(String id) {
        return runs.resultsRoot.resolve("campaigns").resolve(id);
    }

    private JsonNode record(String id, int run) {
        return ExperimentRuns.json(campaignFolder(id).resolve("runs/run_" + run + ".json"));
    }

    @Test
    void startReturnsAtOnceStatusShowsProgressPauseHoldsAndQueuedCampaignsNeverOverlap(TestInfo test) throws Exception {
        runs(test, ExperimentRuns.pacedBackend().blockingInBatch(1));
        runs.write("exp.yaml", runs.config(1));
        Path a = campaign("itest-bg-a", "  batching.batch_size: [1, 2]");
        Path b = campaign("itest-bg-b", "  prompts.count: [2, 3]");
        Shell shell = new Shell(processor);

        Shell.Outcome start = shell.execute("lem:campaign start " + a);
        String idA = started(start);
        // the command has returned while the first run is held inside the backend
        assertTrue(runs.backend.blocked.await(WAIT_SECONDS, TimeUnit.SECONDS), "the first run is measuring");
        assertTrue(start.out().contains(campaignFolder(idA).resolve("campaign.log").toString()), start.transcript());
        assertFalse(start.out().contains("[campaign 1/2]"), "run progress goes to the log, not the shell: " + start.out());

        List<String> running = statusRow(shell, idA);
        assertEquals("running", running.get(1), running.toString());
        assertEquals("0", running.get(2), "done");
        assertEquals("run 0: itest-e2e-batching.batch_size=1, cycle 1", running.get(3));
        assertEquals("2", running.get(4), "left");
        assertEquals("0", running.get(5), "failed");

        String idB = started(shell.execute("lem:campaign start " + b));
        assertEquals("queued", statusRow(shell, idB).get(1));

        // a one-shot campaign in the foreground is refused, naming the campaign that holds the GPUs
        Shell.Outcome foreground = shell.execute("lem:campaign run " + b);
        assertTrue(foreground.failed(), foreground.transcript());
        assertTrue(foreground.failure().getMessage().contains("the GPUs of this host are held by campaign " + idA),
                foreground.transcript());

        Shell.Outcome pause = shell.execute("lem:campaign pause " + idA);
        assertFalse(pause.failed(), pause.transcript());
        assertTrue(pause.out().contains("pauses after its run in flight"), pause.transcript());
        runs.backend.release.countDown();
        awaitState(shell, idA, "paused");
        List<String> paused = statusRow(shell, idA);
        assertEquals(List.of("1", "-", "1", "0"), paused.subList(2, 6), "run 0 finished, run 1 held: " + paused);
        assertTrue(record(idA, 0).path("state").asText().equals("COMPLETE"));
        assertFalse(Files.exists(campaignFolder(idA).resolve("runs/run_1.json")), "nothing ran after the pause");

        // the queue moved on to B; starting A again puts it behind B
        String again = started(shell.execute("lem:campaign start " + idA));
        assertEquals(idA, again);
        awaitState(shell, idB, "done");
        awaitState(shell, idA, "done");
        assertEquals(List.of("2", "-", "0", "0"), statusRow(shell, idA).subList(2, 6));

        // every run's measurement from start to end, from the results: none overlaps another
        List<long[]> spans = new ArrayList<>();
        try (Stream<Path> children = Files.list(runs.resultsRoot)) {
            for (Path experiment : children.filter(p -> Files.isRegularFile(p.resolve("status.json"))).toList()) {
                JsonNode status = ExperimentRuns.json(experiment.resolve("status.json"));
                assertEquals("COMPLETE", status.path("state").asText().toUpperCase(), status.toString());
                spans.add(new long[] { status.path("started_epoch_millis").asLong(), status.path("updated_epoch_millis").asLong() });
            }
        }
        assertEquals(4, spans.size(), "2 runs of A and 2 of B");
        spans.sort(Comparator.comparingLong(s -> s[0]));
        for (int i = 1; i < spans.size(); i++) {
            assertTrue(spans.get(i)[0] >= spans.get(i - 1)[1], "run " + i + " started before run " + (i - 1) + " ended");
        }
        String log = Files.readString(campaignFolder(idA).resolve("campaign.log"));
        assertTrue(log.contains("run 0: itest-e2e-batching.batch_size=1, campaign cycle 1"), log);
        assertTrue(log.contains("paused: paused by lem:campaign pause"), log);
        assertTrue(log.contains(" done"), log);
    }

    @Test
    void cancelStopsTheRunInFlightKeepingWhatItMeasuredAndAStartRunsTheRest(TestInfo test) throws Exception {
        // one measurement batch per cycle: batch 2 is cycle 2's
        String id = startBlocked(test, 2, 2, "itest-bg-cancel", "  baseline.interval_ms: [20, 25]");
        Shell shell = new Shell(processor);
        Shell.Outcome cancel = shell.execute("lem:campaign cancel " + id);
        assertFalse(cancel.failed(), cancel.transcript());
        assertTrue(cancel.out().contains("what it measured is kept"), cancel.transcript());
        awaitState(shell, id, "cancelled");

        JsonNode record = record(id, 0);
        assertEquals("CANCELLED", record.path("state").asText(), record.toString());
        assertEquals("cancelled by lem:campaign cancel", record.path("reason").asText());
        Path experiment = Path.of(record.path("result_directory").asText());
        assertTrue(ExperimentRuns.json(experiment.resolve("raw/cycle_1/process_0.json")).path("complete").asBoolean(),
                "cycle 1 is kept");
        assertFalse(Files.exists(campaignFolder(id).resolve("runs/run_1.json")), "run 1 never started");
        assertEquals(List.of("0", "-", "2", "1"), statusRow(shell, id).subList(2, 6));

        started(shell.execute("lem:campaign start " + id));
        awaitState(shell, id, "done");
        assertEquals("COMPLETE", record(id, 0).path("state").asText());
        assertTrue(record(id, 0).path("earlier_attempts").get(0).asText().endsWith("cancelled: cancelled by lem:campaign cancel"));
        assertEquals("COMPLETE", record(id, 1).path("state").asText());
    }

    /**
     * The example backend bundle in plugins/, updated between the two experiments of a background
     * campaign to a build that says it is version 9.9.9: the first experiment's result records the
     * old bundle, the second the new one.
     */
    @Test
    void aBackendBundleUpdatedInPluginsBetweenExperimentsIsUsedByTheNextExperiment(TestInfo test) throws Exception {
        runs(test, ExperimentRuns.pacedBackend());
        Path plugins = Path.of(context.getProperty("felix.fileinstall.dir"));
        Path example = Path.of(context.getProperty("lem.itest.example.plugin"));
        Files.createDirectories(plugins);
        Path dropped = plugins.resolve("lem.example.backend.jar");
        Files.copy(example, dropped, StandardCopyOption.REPLACE_EXISTING);
        try {
            String oldVersion = awaitEchoBackend(null);
            runs.write("exp.yaml", runs.config(1).replace("name: " + ExperimentRuns.BACKEND, "name: example-echo"));
            // a pause of 3 s between runs: time to hold the campaign once the first experiment is done
            Path file = campaign("itest-bg-swap", "  prompts.count: [2, 3]", "gap_s: 3\n");
            Shell shell = new Shell(processor);

            String id = started(shell.execute("lem:campaign start " + file));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (!statusRow(shell, id).get(2).equals("1") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            // the first experiment ran on the old bundle; the pause holds the campaign before the next
            assertFalse(shell.execute("lem:campaign pause " + id).failed());
            awaitState(shell, id, "paused");
            assertFalse(Files.exists(campaignFolder(id).resolve("runs/run_1.json")));

            Path staged = Files.createTempFile(runs.work, "swapped", ".jar");
            withBundleVersion(example, staged, "9.9.9.swapped");
            Files.move(staged, dropped, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            assertEquals("9.9.9.swapped", awaitEchoBackend("9.9.9.swapped"));

            started(shell.execute("lem:campaign start " + id));
            awaitState(shell, id, "done");
            assertEquals(oldVersion, backendVersion(id, 0), "the first experiment ran on the bundle of its time");
            assertEquals("9.9.9.swapped", backendVersion(id, 1), "the next experiment runs on the updated bundle");
        } finally {
            Files.deleteIfExists(dropped);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (echoBackend() != null && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }
    }

    private String backendVersion(String campaignId, int run) {
        Path experiment = Path.of(record(campaignId, run).path("result_directory").asText());
        JsonNode result = ExperimentRuns.json(experiment.resolve("result.json"));
        assertEquals("example-echo", result.path("backend").path("name").asText(), result.toString());
        return result.path("backend").path("bundle_version").asText();
    }

    private ServiceReference<InferenceBackend> echoBackend() throws Exception {
        var refs = context.getServiceReferences(InferenceBackend.class, "(" + InferenceBackend.NAME + "=example-echo)");
        return refs.isEmpty() ? null : refs.iterator().next();
    }

    /** Waits for example-echo (of {@code version}, when given) to be registered; returns its bundle's version. */
    private String awaitEchoBackend(String version) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (System.nanoTime() < deadline) {
            ServiceReference<InferenceBackend> ref = echoBackend();
            if (ref != null && ref.getBundle() != null
                    && (version == null || ref.getBundle().getVersion().toString().equals(version))) {
                return ref.getBundle().getVersion().toString();
            }
            Thread.sleep(50);
        }
        throw new AssertionError("example-echo " + (version == null ? "" : version + " ") + "never registered");
    }

    /** A copy of a bundle jar whose manifest says another Bundle-Version. */
    private static void withBundleVersion(Path jar, Path copy, String version) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(copy), manifest)) {
                for (JarEntry entry = in.getNextJarEntry(); entry != null; entry = in.getNextJarEntry()) {
                    out.putNextEntry(new JarEntry(entry.getName()));
                    out.write(readAll(in));
                    out.closeEntry();
                }
            }
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        in.transferTo(bytes);
        return bytes.toByteArray();
    }

    /**
     * The host stops lem.runtime (as a framework shutdown does) while a background campaign measures:
     * the run in flight is recorded cancelled, resumable, and no campaign thread is left.
     */
    @Test
    void stoppingTheHostEndsTheRunInFlightCleanlyAndLeavesNoThread(TestInfo test) throws Exception {
        String id = startBlocked(test, 1, 1, "itest-bg-stop", "  batching.batch_size: [1, 2]");
        Shell shell = new Shell(processor);

        Bundle runtime = FrameworkUtil.getBundle(lem.runtime.command.Table.class);
        runtime.stop();
        try {
            assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive()
                    && (t.getName().equals("lem-campaign-queue") || t.getName().equals("lem-campaign-schedules"))),
                    "no campaign thread is left");
            JsonNode record = record(id, 0);
            assertEquals("CANCELLED", record.path("state").asText(), record.toString());
            assertEquals("the host is shutting down", record.path("reason").asText());
        } finally {
            runtime.start();
        }
        assertNotNull(processor);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        Shell.Outcome shown = shell.execute("lem:campaign show " + id + " --dir " + runs.resultsRoot);
        while (shown.failed() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            shown = shell.execute("lem:campaign show " + id + " --dir " + runs.resultsRoot);
        }
        assertFalse(shown.failed(), shown.transcript());
        assertTrue(shown.out().contains("0/2 runs complete, 1 cancelled"), shown.transcript());
    }
}
