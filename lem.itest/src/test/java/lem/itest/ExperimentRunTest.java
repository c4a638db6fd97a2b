package lem.itest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;

import com.fasterxml.jackson.databind.JsonNode;

import lem.api.energy.EnergyReading;
import lem.runtime.command.CommandFailure;

/**
 * {@code lem:run} end to end inside the framework, typed as a user types it, with a backend and
 * an energy source registered as services by the test: the summary, the results folder,
 * {@code lem:results}, {@code lem:aggregate}, a dry run, and runs cut short by a failing backend
 * or by a backend whose service goes away.
 */
class ExperimentRunTest extends ShellRunTest {
    private static final List<String> SUMMARY_ROWS = List.of("requests", "tokens in / out", "TTFT", "ITL", "TPOT",
            "end to end", "energy", "energy, baseline-adjusted", "energy per output token");


    @Test
    void runPrintsSummaryStoresResultsAndAggregatesToTheSameFile(TestInfo test) throws Exception {
        ExperimentRuns runs = runs(test, ExperimentRuns.pacedBackend());
        Path config = runs.write("exp.yaml", runs.config(2));
        Shell shell = new Shell(processor);

        Shell.Outcome run = shell.execute("lem:run " + config);
        assertFalse(run.failed(), run.transcript());

        Path experiment = runs.onlyExperiment();
        String id = experiment.getFileName().toString();
        assertTrue(run.out().contains("Experiment " + id + " (itest-e2e): complete"), run.transcript());
        for (int cycle = 1; cycle <= 2; cycle++) {
            Path raw = experiment.resolve("raw/cycle_" + cycle + "/process_0.json");
            assertTrue(Files.isRegularFile(raw), raw + " missing");
            assertTrue(ExperimentRuns.json(raw).path("complete").asBoolean(), raw + " not complete");
        }
        assertEquals("COMPLETE", ExperimentRuns.json(experiment.resolve("status.json")).path("state").asText().toUpperCase());

        JsonNode result = ExperimentRuns.json(experiment.resolve("result.json"));
        JsonNode overall = result.path("overall");
        int requests = 2 * ExperimentRuns.REQUESTS_PER_CYCLE;
        assertEquals(requests, overall.path("requests").asInt(), overall.toString());
        assertEquals(requests * ExperimentRuns.TOKENS_PER_REQUEST, overall.path("output_tokens").asInt());
        assertEquals(2, result.path("cycles_measured").asInt());
        // the backend sleeps a token gap before every token: no first token comes sooner
        double ttftMeanMs = overall.path("latency").path("ttft_ms").path("mean").asDouble();
        assertTrue(ttftMeanMs >= ExperimentRuns.TOKEN_GAP_NANOS / 1e6, "TTFT mean " + ttftMeanMs + " ms");
        // and the first token comes before the rest: each request sleeps a gap before each of its
        // other tokens too, so its end comes at least (tokens - 1) gaps after its first token
        double e2eMeanMs = overall.path("latency").path("e2e_ms").path("mean").asDouble();
        double laterTokensMs = (ExperimentRuns.TOKENS_PER_REQUEST - 1) * ExperimentRuns.TOKEN_GAP_NANOS / 1e6;
        assertTrue(ttftMeanMs <= e2eMeanMs - laterTokensMs,
                "TTFT mean " + ttftMeanMs + " ms, end to end " + e2eMeanMs + " ms");
        // the stored energy is what the meter's counter measured in the two measurement windows
        List<EnergyReading> readings = runs.meter.readings;
        double measuredJoules = readings.subList(readings.size() - 2, readings.size()).stream()
                .mapToDouble(EnergyReading::energyJoules).sum();
        double storedJoules = overall.path("energy").path("raw_joules").asDouble();
        // each reading is kept as measured, and moved onto the work window by its edge correction; the
        // sessions' edges lie within a few ms of the work's, at no more than idle + load power
        double readingJoules = 0;
        double correctionJoules = 0;
        double edgeSeconds = 0;
        for (JsonNode device : overall.path("energy").path("devices")) {
            readingJoules += device.path("reading_joules").asDouble();
            correctionJoules += device.path("edge_correction_joules").asDouble();
            edgeSeconds += (device.path("reading_window_nanos").asLong() - device.path("window_nanos").asLong()) / 1e9;
        }
        assertEquals(measuredJoules, readingJoules, 1e-9 * measuredJoules, overall.path("energy").toString());
        assertEquals(readingJoules + correctionJoules, storedJoules, 1e-9 * measuredJoules);
        assertTrue(edgeSeconds >= 0 && edgeSeconds < 0.5, "session edges " + edgeSeconds + " s");
        // at most the full load power (equal to it, up to rounding, when the edges fall inside the work)
        assertTrue(-correctionJoules <= edgeSeconds * (SimulatedPowerMeter.IDLE_WATTS + SimulatedPowerMeter.LOAD_WATTS)
                * (1 + 1e-9) && -correctionJoules >= edgeSeconds * SimulatedPowerMeter.IDLE_WATTS * 0.99,
                correctionJoules + " J over " + edgeSeconds + " s of edges");
        assertTrue(storedJoules > 0);

        List<String> printed = ExperimentRuns.rows(run.out(), SUMMARY_ROWS);
        assertEquals(SUMMARY_ROWS.size(), printed.size(), run.out());
        assertTrue(printed.get(0).matches("requests\\s+" + requests + "\\s.*"), printed.get(0));

        String root = runs.resultsRoot.toString();
        String listed = shell.run("lem:results list --dir " + root);
        assertTrue(listed.contains(id) && listed.contains("complete"), listed);

        String shown = shell.run("lem:results show " + id + " --dir " + root);
        assertTrue(shown.contains("Experiment " + id), shown);
        assertEquals(printed, ExperimentRuns.rows(shown, SUMMARY_ROWS), "lem:results show prints the run's numbers");

        byte[] before = Files.readAllBytes(experiment.resolve("result.json"));
        String aggregated = shell.run("lem:aggregate " + id + " --dir " + root);
        assertArrayEquals(before, Files.readAllBytes(experiment.resolve("result.json")),
                "lem:aggregate rebuilds the same result.json from the raw files");
        assertEquals(printed, ExperimentRuns.rows(aggregated, SUMMARY_ROWS), aggregated);

        // the next dry run of the same experiment estimates its duration from this run's rate
        double msPerRequest = overall.path("window_nanos").asLong() / 1e6 / requests;
        String plan = shell.run("lem:run " + config + " --dry-run").replaceAll("\\s+", " ");
        Matcher estimate = Pattern.compile("duration about \\d+ s.* \\(([\\d.]+) ms per request as measured by " + id + "\\)")
                .matcher(plan);
        assertTrue(estimate.find(), plan);
        assertEquals(msPerRequest, Double.parseDouble(estimate.group(1)), msPerRequest * 0.01, plan);
    }

    @Test
    void dryRunPrintsThePlanAndWritesNothing(TestInfo test) throws Exception {
        ExperimentRuns runs = runs(test, ExperimentRuns.pacedBackend());
        Path config = runs.write("exp.yaml", runs.config(3));

        String plan = new Shell(processor).run("lem:run " + config + " --dry-run");

        assertTrue(plan.contains("Dry run"), plan);
        assertTrue(Pattern.compile("backend\\s+" + ExperimentRuns.BACKEND).matcher(plan).find(), plan);
        assertTrue(Pattern.compile("energy\\s+" + ExperimentRuns.METER).matcher(plan).find(), plan);
        assertTrue(Pattern.compile("cycles\\s+3\\R").matcher(plan).find(), plan);
        assertTrue(plan.contains(runs.resultsRoot.toString()), plan);
        assertTrue(plan.replaceAll("\\s+", " ").contains("duration at least 0 s (baseline 0 s unless cached, warmup 2-4 requests) "
                + "plus generation, unknown until one run of 'itest-e2e' is stored"), plan);
        assertFalse(Files.exists(runs.resultsRoot), "a dry run creates no results folder");
        assertEquals(0, runs.backend.tokensReported.get(), "a dry run generates nothing");
        assertTrue(runs.meter.readings.isEmpty(), "a dry run measures nothing");
    }

    @Test
    void backendFailingInTheSecondCycleLeavesAnIncompleteExperimentAndARunningHost(TestInfo test) throws Exception {
        ExperimentRuns runs = runs(test, ExperimentRuns.pacedBackend().failingInBatch(2));
        Path config = runs.write("exp.yaml", runs.config(3));

        Shell.Outcome run = new Shell(processor).execute("lem:run " + config);

        assertInstanceOf(CommandFailure.class, run.failure(), run.transcript());
        String message = run.failure().getMessage();
        assertTrue(message.contains("incomplete") && message.contains("simulated device fault in measurement batch 2"),
                message);
        Path experiment = runs.onlyExperiment();
        assertTrue(ExperimentRuns.json(experiment.resolve("raw/cycle_1/process_0.json")).path("complete").asBoolean());
        assertFalse(Files.exists(experiment.resolve("raw/cycle_3")), "nothing after the failed cycle");
        JsonNode status = ExperimentRuns.json(experiment.resolve("status.json"));
        assertEquals("INCOMPLETE", status.path("state").asText().toUpperCase(), status.toString());
        assertTrue(status.path("reason").asText().contains("simulated device fault"), status.toString());
        assertHostRunning();

        // what was measured stays usable: listed with its reason, and re-aggregated to the same file
        Shell shell = new Shell(processor);
        String root = runs.resultsRoot.toString();
        String listed = shell.run("lem:results list --dir " + root);
        // the reason wraps within its column
        assertTrue(listed.contains("incomplete") && listed.replaceAll("\\s+", " ").contains("(backend failed: simulated device fault"),
                listed);
        assertTrue(listed.contains(experiment.getFileName().toString()), "an id is never split: " + listed);
        byte[] before = Files.readAllBytes(experiment.resolve("result.json"));
        shell.run("lem:aggregate " + experiment.getFileName() + " --dir " + root);
        assertArrayEquals(before, Files.readAllBytes(experiment.resolve("result.json")));
        assertEquals(1, ExperimentRuns.json(experiment.resolve("result.json")).path("cycles_measured").asInt());
    }

    @Test
    void energySourceFailingToStartInTheSecondCycleKeepsTheFirstAndEndsIncomplete(TestInfo test) throws Exception {
        ExperimentRuns runs = runs(test, ExperimentRuns.pacedBackend());
        Path config = runs.write("exp.yaml", runs.config(3));
        Path[] firstRaw = new Path[1];
        // the meter breaks once cycle 1's raw file is written: cycle 2's window cannot open
        runs.meter.failingToStartWhen(() -> {
            try {
                if (firstRaw[0] == null && Files.isDirectory(runs.resultsRoot)) {
                    firstRaw[0] = runs.onlyExperiment().resolve("raw/cycle_1/process_0.json");
                }
            } catch (java.io.IOException | AssertionError notYet) {
                return false;
            }
            return firstRaw[0] != null && Files.isRegularFile(firstRaw[0]);
        });

        Shell.Outcome run = new Shell(processor).execute("lem:run " + config);

        assertInstanceOf(CommandFailure.class, run.failure(), run.transcript());
        String message = run.failure().getMessage();
        assertTrue(message.contains("incomplete") && message.contains(SimulatedPowerMeter.START_FAULT), message);
        Path experiment = runs.onlyExperiment();
        JsonNode first = ExperimentRuns.json(experiment.resolve("raw/cycle_1/process_0.json"));
        assertTrue(first.path("complete").asBoolean(), "cycle 1 was measured before the fault");
        assertEquals(ExperimentRuns.REQUESTS_PER_CYCLE, first.path("requests").size());
        Path second = experiment.resolve("raw/cycle_2/process_0.json");
        assertTrue(!Files.exists(second) || !ExperimentRuns.json(second).path("complete").asBoolean(),
                "cycle 2 never opened its window, so it is not a complete cycle");
        assertFalse(Files.exists(experiment.resolve("raw/cycle_3")), "nothing after the failed cycle");
        JsonNode status = ExperimentRuns.json(experiment.resolve("status.json"));
        assertEquals("INCOMPLETE", status.path("state").asText().toUpperCase(), status.toString());
        assertTrue(status.path("reason").asText().contains(SimulatedPowerMeter.START_FAULT), status.toString());
        // the result holds cycle 1 and nothing else: its requests, and the meter's one cycle reading
        JsonNode result = ExperimentRuns.json(experiment.resolve("result.json"));
        assertEquals(1, result.path("cycles_measured").asInt(), result.toString());
        assertEquals(ExperimentRuns.REQUESTS_PER_CYCLE, result.path("overall").path("requests").asInt());
        assertTrue(result.path("overall").path("energy").path("raw_joules").asDouble() > 0);
        assertHostRunning();
    }

    @Test
    void backendServiceLeavingMidRunStopsTheRunAndKeepsFinishedCycles(TestInfo test) throws Exception {
        ExperimentRuns runs = runs(test, ExperimentRuns.pacedBackend().blockingInBatch(2));
        Path config = runs.write("exp.yaml", runs.config(3));
        Shell shell = new Shell(processor);

        CompletableFuture<Shell.Outcome> running = CompletableFuture.supplyAsync(() -> shell.execute("lem:run " + config));
        assertTrue(runs.backend.blocked.await(30, TimeUnit.SECONDS), "cycle 2 started generating");
        runs.backendRegistration.unregister(); // its bundle stopping does the same
        // were the departure missed, generation would go on and the run would complete
        runs.backend.release.countDown();
        Shell.Outcome run = running.get(30, TimeUnit.SECONDS);

        assertInstanceOf(CommandFailure.class, run.failure(), run.transcript());
        String message = run.failure().getMessage();
        assertTrue(message.contains("backend " + ExperimentRuns.BACKEND) && message.contains("went away"), message);
        Path experiment = runs.onlyExperiment();
        assertTrue(ExperimentRuns.json(experiment.resolve("raw/cycle_1/process_0.json")).path("complete").asBoolean());
        JsonNode status = ExperimentRuns.json(experiment.resolve("status.json"));
        assertEquals("INCOMPLETE", status.path("state").asText().toUpperCase(), status.toString());
        assertTrue(status.path("reason").asText().contains("went away"), status.toString());
        assertHostRunning();
        assertFalse(shell.run("lem:backends").contains(ExperimentRuns.BACKEND), "the backend is gone from lem:backends");
    }

    @Test
    void energySourceLeavingMidRunStopsTheRun(TestInfo test) throws Exception {
        ExperimentRuns runs = runs(test, ExperimentRuns.pacedBackend().blockingInBatch(2));
        Path config = runs.write("exp.yaml", runs.config(3));
        Shell shell = new Shell(processor);

        CompletableFuture<Shell.Outcome> running = CompletableFuture.supplyAsync(() -> shell.execute("lem:run " + config));
        assertTrue(runs.backend.blocked.await(30, TimeUnit.SECONDS), "cycle 2 started generating");
        runs.meterRegistration.unregister();
        runs.backend.release.countDown();
        Shell.Outcome run = running.get(30, TimeUnit.SECONDS);

        assertInstanceOf(CommandFailure.class, run.failure(), run.transcript());
        assertTrue(run.failure().getMessage().contains("energy source " + ExperimentRuns.METER)
                && run.failure().getMessage().contains("went away"), run.failure().getMessage());
        Path experiment = runs.onlyExperiment();
        assertTrue(ExperimentRuns.json(experiment.resolve("raw/cycle_1/process_0.json")).path("complete").asBoolean());
        assertEquals("INCOMPLETE", ExperimentRuns.json(experiment.resolve("status.json")).path("state").asText().toUpperCase());
        assertHostRunning();
    }

    /**
     * The same with a real plugin: the example backend bundle, a Declarative Services component,
     * is stopped while cycle 2 waits for its requests' arrival times.
     */
    @Test
    void pluginBundleStoppedMidRunStopsTheRunAndKeepsFinishedCycles(TestInfo test) throws Exception {
        ExperimentRuns runs = runs(test, ExperimentRuns.pacedBackend());
        Path jar = Path.of(context.getProperty("lem.itest.example.plugin"));
        Bundle plugin;
        try (var in = Files.newInputStream(jar)) {
            plugin = context.installBundle("itest:departure:" + jar, in);
        }
        try {
            plugin.start();
            // six requests at 8 per second: each cycle waits about 0.7 s for its arrivals
            String config = runs.config(3).replace("name: " + ExperimentRuns.BACKEND, "name: example-echo")
                    .replace("count: " + ExperimentRuns.REQUESTS_PER_CYCLE, "count: 6")
                    + "traffic:\n  pattern: constant\n  target_qps: 8\n";
            Path file = runs.write("exp.yaml", config);
            Shell shell = new Shell(processor);

            CompletableFuture<Shell.Outcome> running = CompletableFuture.supplyAsync(() -> shell.execute("lem:run " + file));
            Path firstCycle = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (firstCycle == null && System.nanoTime() < deadline && !running.isDone()) {
                Thread.sleep(20);
                if (Files.isDirectory(runs.resultsRoot)) {
                    Path raw = runs.onlyExperiment().resolve("raw/cycle_1/process_0.json");
                    firstCycle = Files.isRegularFile(raw) ? raw : null;
                }
            }
            assertTrue(firstCycle != null, "cycle 1 finished");
            Thread.sleep(200); // into cycle 2's arrivals
            plugin.stop();
            Shell.Outcome run = running.get(30, TimeUnit.SECONDS);

            assertInstanceOf(CommandFailure.class, run.failure(), run.transcript());
            assertTrue(run.failure().getMessage().contains("backend example-echo (bundle lem.example.backend) went away"),
                    run.failure().getMessage());
            assertTrue(ExperimentRuns.json(firstCycle).path("complete").asBoolean());
            JsonNode status = ExperimentRuns.json(runs.onlyExperiment().resolve("status.json"));
            assertEquals("INCOMPLETE", status.path("state").asText().toUpperCase(), status.toString());
            assertHostRunning();
        } finally {
            plugin.uninstall();
        }
    }

    private void assertHostRunning() throws Exception {
        Bundle runtime = FrameworkUtil.getBundle(CommandFailure.class);
        assertEquals(Bundle.ACTIVE, runtime.getState(), "lem.runtime still active");
        assertEquals(Bundle.ACTIVE, context.getBundle(0).getState(), "framework still active");
        String backends = new Shell(processor).run("lem:backends");
        assertTrue(backends.contains("BACKEND") || backends.contains("NAME"), backends);
    }
}
