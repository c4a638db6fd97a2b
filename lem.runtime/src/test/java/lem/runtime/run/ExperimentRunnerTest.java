package lem.runtime.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import lem.api.backend.InferenceBackend;
import lem.api.energy.EnergySource;
import lem.api.energy.PowerSample;
import lem.api.flops.Confidence;
import lem.api.flops.FlopsAnswer;
import lem.api.flops.FlopsEstimate;
import lem.api.flops.FlopsStrategy;
import lem.api.flops.RequestShape;
import lem.api.flops.Workload;
import lem.api.model.ModelDescription;
import lem.runtime.config.ConfigLoader;
import lem.runtime.config.LoadedConfig;
import lem.runtime.plugin.PluginService;
import lem.runtime.results.AggregatedResult;
import lem.runtime.results.BaselinePower;
import lem.runtime.results.ExperimentStatus;
import lem.runtime.results.PowerSeriesFile;
import lem.runtime.results.PowerSeriesPoint;
import lem.runtime.results.RawResult;
import lem.runtime.results.RequestTimeline;
import lem.runtime.results.ResultsDirectory;
import lem.runtime.results.ResultsJson;
import lem.runtime.results.RunState;

class ExperimentRunnerTest {
    private static final double MS = 1e6;

    @TempDir
    Path dir;

    private final ScriptedBackend backend = new ScriptedBackend();

    /** Configs share everything but the lines a test adds; every key is a real config key. */
    private LoadedConfig config(String extra) throws IOException {
        Path file = dir.resolve("exp.yaml");
        Files.writeString(file, """
                name: runner-test
                model: {source: synthetic, name: tiny-test}
                backend: {name: scripted, device: cpu}
                prompts: {source: synthetic, count: 3, synthetic: {input_tokens: 8, seed: 7}}
                decoder: {max_new_tokens: 4}
                timeseries: {enabled: true, interval_ms: 10}
                output: {dir: results}
                """ + extra);
        LoadedConfig loaded = ConfigLoader.load(file, List.of());
        assertTrue(loaded.valid(), () -> String.valueOf(loaded.problems()));
        return loaded;
    }

    @Test
    void sourcesSampleAtTheEnergyIntervalAndTheStoredSeriesKeepsTheTimeseriesResolution() throws Exception {
        Path file = dir.resolve("thin.yaml");
        Files.writeString(file, """
                name: thin
                model: {source: synthetic, name: tiny-test}
                backend: {name: scripted, device: cpu}
                prompts: {source: synthetic, count: 3, synthetic: {input_tokens: 8, seed: 7}}
                decoder: {max_new_tokens: 4}
                warmup: {enabled: false}
                baseline: {enabled: false}
                energy: {interval_ms: 10}
                timeseries: {enabled: true, interval_ms: 50}
                output: {dir: results}
                """);
        LoadedConfig loaded = ConfigLoader.load(file, List.of());
        assertTrue(loaded.valid(), () -> String.valueOf(loaded.problems()));
        backend.ttftNanos = 40 * (long) MS;
        backend.itlNanos = 40 * (long) MS;
        MeteredEnergySource meter = new MeteredEnergySource("meter", new double[] { 100 });

        RunOutcome outcome = runner(loaded, List.of(meter), List.of()).run();

        MeteredEnergySource.Session session = meter.sessions.get(0);
        assertEquals(10 * MS, session.intervalNanos, "sources are asked for energy.interval_ms");
        List<PowerSeriesPoint> series = PowerSeriesFile.read(outcome.directory().resolve(raw(outcome, 1).powerSeriesFile()));
        assertTrue(series.size() >= 3 && series.size() < session.given.size(), series.size() + " kept of " + session.given.size());
        for (int i = 1; i < series.size(); i++) {
            long gap = series.get(i).timestampNanos() - series.get(i - 1).timestampNanos();
            assertTrue(gap >= 45 * MS, "kept samples at least 50 ms (less a tenth) apart: " + gap / MS + " ms");
        }
        assertEquals(session.given.get(0).timestampNanos(), series.get(0).timestampNanos(), "the first sample is kept");
    }

    @Test
    void theBackendIsOpenedWithTheExperimentsResultsFolderForItsOwnFiles() throws Exception {
        LoadedConfig loaded = config("warmup: {enabled: false}\nbaseline: {enabled: false}\n");
        RunOutcome outcome = runner(loaded, List.of(new MeteredEnergySource("meter", new double[] { 100 })), List.of()).run();
        assertEquals(outcome.directory(), backend.resultsFolder, "a server backend keeps its log and metrics there");
        assertTrue(Files.isDirectory(backend.resultsFolder));
    }

    private Path fakeRoot() throws IOException {
        return ScriptedRuns.fakeRoot(dir.resolve("root"));
    }

    private static <S> PluginService<S> plugin(String name, S service) {
        return ScriptedRuns.plugin(name, service);
    }

    private ExperimentRunner runner(LoadedConfig loaded, List<EnergySource> sources, List<FlopsStrategy> strategies)
            throws IOException {
        RunServices services = new RunServices(plugin(ScriptedBackend.NAME, (InferenceBackend) backend),
                sources.stream().map(s -> plugin(s.info().name(), s)).toList(),
                strategies.stream().map(s -> plugin(s.name(), s)).toList(), Map.of("lem.runtime", "0.1.0"));
        return new ExperimentRunner(loaded, services, new BaselineMeter(), RunProgress.SILENT,
                new EnvironmentCapture(fakeRoot()), dir);
    }

    private static RawResult raw(RunOutcome outcome, int cycle) {
        return ResultsJson.read(outcome.directory().resolve(ResultsDirectory.rawPath(cycle, 0)), RawResult.class);
    }

    private static ExperimentStatus status(RunOutcome outcome) {
        return ResultsJson.read(outcome.directory().resolve(ResultsDirectory.STATUS_FILE), ExperimentStatus.class);
    }

    /** A strategy that never knows. */
    private static FlopsStrategy declining(String name) {
        return new FlopsStrategy() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Confidence confidence() {
                return Confidence.HIGH;
            }

            @Override
            public FlopsAnswer estimate(ModelDescription model, Workload workload) {
                return FlopsAnswer.none("needs executed operations");
            }
        };
    }

    /** 2 x parameters per token, prefill on prompt tokens and decode on the rest. */
    private static FlopsStrategy parameters() {
        return new FlopsStrategy() {
            @Override
            public String name() {
                return "parameters";
            }

            @Override
            public Confidence confidence() {
                return Confidence.LOW;
            }

            @Override
            public FlopsAnswer estimate(ModelDescription model, Workload workload) {
                long prompt = workload.requests().stream().mapToLong(RequestShape::promptTokens).sum();
                long output = workload.requests().stream().mapToLong(RequestShape::outputTokens).sum();
                return FlopsAnswer.of(new FlopsEstimate("parameters", Confidence.LOW, model.parameterCount(),
                        2 * model.parameterCount() * prompt, 2 * model.parameterCount() * output,
                        model.computePrecision(), List.of()));
            }
        };
    }

    @Test
    void twoCyclesWriteEveryFileAndTheMetricsTheTokenTimesImply() throws IOException {
        // its sessions open 40 ms before the work and close 40 ms after it, like real sources' edge reads
        MeteredEnergySource meter = new MeteredEnergySource("meter", new double[] {20, 50}, -1, 1).withEdgeDelay(40);
        FlopsStrategy neverAsked = declining("never-asked");
        ExperimentRunner runner = runner(config("""
                warmup: {enabled: false}
                baseline: {enabled: true, duration_s: 0.2, interval_ms: 20}
                cycles: 2
                """), List.of(meter), List.of(declining("counted"), parameters(), neverAsked));

        RunOutcome outcome = runner.run();

        assertTrue(outcome.complete(), outcome.reason());
        Path exp = outcome.directory();
        assertEquals(dir.resolve("results").resolve(outcome.experimentId()), exp);
        for (String file : List.of(ResultsDirectory.CONFIG_FILE, ExperimentRunner.ENVIRONMENT_FILE,
                ResultsDirectory.RESULT_FILE, ResultsDirectory.rawPath(1, 0), ResultsDirectory.rawPath(2, 0))) {
            assertTrue(Files.isRegularFile(exp.resolve(file)), file);
        }
        assertEquals(RunState.COMPLETE, status(outcome).state());

        JsonNode config = ResultsJson.mapper().readTree(exp.resolve(ResultsDirectory.CONFIG_FILE).toFile());
        assertEquals(2, config.at("/config/cycles").asInt());
        assertTrue(config.at("/provenance/cycles").asText().contains("exp.yaml"), config.at("/provenance").toString());
        assertEquals("default", config.at("/provenance/traffic.pattern").asText());

        JsonNode env = ResultsJson.mapper().readTree(exp.resolve(ExperimentRunner.ENVIRONMENT_FILE).toFile());
        assertEquals("Test CPU 9000", env.get("cpu_model").asText());
        assertEquals(2048 * 1024, env.get("memory_total_bytes").asLong());
        assertEquals("0.1.0", env.at("/lem_bundles/lem.runtime").asText());
        assertTrue(env.at("/energy_sources/meter/available").asBoolean(), env.toString());

        // the baseline session came first: 20 W on the counter
        assertEquals(3, meter.sessions.size());
        BaselinePower baseline = raw(outcome, 1).baseline().get(0);
        assertEquals(20.0, baseline.meanWatts(), 1e-9);
        assertEquals(meter.sessions.get(0).given.size(), baseline.sampleCount());
        assertTrue(baseline.sampleCount() >= 2, "0.2 s at 20 ms gives several samples");

        AggregatedResult result = outcome.result();
        assertNotNull(result);
        assertEquals(result, ResultsJson.read(exp.resolve(ResultsDirectory.RESULT_FILE), AggregatedResult.class));
        assertEquals(2, result.cyclesMeasured());
        double readingJoules = 0;
        double windowSeconds = 0;
        double edgeSeconds = 0;
        for (int cycle = 1; cycle <= 2; cycle++) {
            RawResult raw = raw(outcome, cycle);
            assertTrue(raw.complete());
            assertEquals(3, raw.requests().size());
            MeteredEnergySource.Session session = meter.sessions.get(cycle);
            assertEquals(session.reading.energyJoules(), raw.energy().get(0).energyJoules(), 1e-12);
            readingJoules += raw.energy().get(0).energyJoules();
            assertTrue(raw.energy().get(0).durationNanos() >= raw.window().durationNanos() + 80_000_000L,
                    "the session's window holds the work window and both 40 ms edges");
            windowSeconds += raw.window().durationNanos() / 1e9;
            edgeSeconds += (raw.energy().get(0).durationNanos() - raw.window().durationNanos()) / 1e9;

            List<PowerSeriesPoint> series = PowerSeriesFile.read(exp.resolve(raw.powerSeriesFile()));
            List<PowerSample> given = session.given;
            assertEquals(given.size(), series.size(), "every sample the source gave, once");
            for (int i = 0; i < given.size(); i++) {
                assertEquals(given.get(i).timestampNanos(), series.get(i).timestampNanos());
                assertEquals(given.get(i).powerWatts(), series.get(i).powerWatts(), 1e-9);
                assertEquals("meter", series.get(i).source());
            }
        }

        var overall = result.overall();
        assertEquals(6, overall.requests());
        assertEquals(6 * 8, overall.inputTokens());
        assertEquals(6 * 4, overall.outputTokens());
        var latency = overall.latency();
        // every request: first token 3 ms after its start, then one every 2 ms; the backend runs them one after
        // another, so all three arrive at the window's start and the second and third queue for 9 and 18 ms
        assertEquals(3.0, latency.prefillMs().mean(), 1e-9);
        assertEquals(3.0, latency.prefillMs().max(), 1e-9);
        for (int cycle = 1; cycle <= 2; cycle++) {
            var requests = result.cycles().get(cycle - 1).requests();
            for (int i = 0; i < 3; i++) {
                var request = requests.get(i);
                assertEquals(3.0, request.ttftMs() - request.queueMs(), 1e-9, "TTFT = queue + 3 ms");
                assertTrue(request.queueMs() >= i * 9.0 && request.queueMs() < i * 9.0 + 100, "queue " + request.queueMs());
            }
        }
        assertTrue(latency.ttftMs().max() >= 18 + 3, "from arrival: " + latency.ttftMs().max());
        assertEquals(latency.queueMs().mean() + 3.0, latency.ttftMs().mean(), 1e-9);
        assertEquals(2.0, latency.itlRawMs().mean(), 1e-9);
        assertEquals(6 * 3, latency.itlRawMs().count());
        assertEquals(2.0, latency.tpotMs().mean(), 1e-9);
        assertEquals(latency.queueMs().mean() + 3.0 + 3 * 2.0, latency.e2eMs().mean(), 1e-9);

        var energy = overall.energy();
        assertEquals(List.of("meter"), energy.sourcesUsed());
        // energy over the work window, the one throughput uses: 50 W x its duration; the session's edges (about
        // 80 ms, 4 J per cycle) are taken off with the power series, whose samples are 49 and 51 W (held beyond the first and last: up to 1 W off, or 2 W between the two)
        assertEquals(50 * windowSeconds, energy.rawJoules(), 2.0 * edgeSeconds);
        assertEquals(50 * edgeSeconds, readingJoules - energy.rawJoules(), 2.0 * edgeSeconds);
        assertEquals(windowSeconds, overall.windowNanos() / 1e9, 1e-9);
        assertEquals(energy.rawJoules() / overall.outputTokens(), overall.joulesPerOutputToken(), 1e-12);
        // adjusted = raw - 20 W idle x the window
        assertEquals(energy.rawJoules() - 20 * windowSeconds, energy.adjustedJoules(), 1e-6);

        // FLOPs: the first strategy declined, the second answered, the third was never asked
        assertEquals(List.of("counted", "parameters"), result.flopsChain().stream().map(a -> a.strategy()).toList());
        assertFalse(result.flopsChain().get(0).answered());
        assertEquals("needs executed operations", result.flopsChain().get(0).reason());
        assertTrue(result.flopsChain().get(1).answered());
        var flops = overall.flops();
        assertEquals("parameters", flops.method());
        assertEquals(2 * 1_000_000L * 6 * 8, flops.prefillFlops());
        assertEquals(2 * 1_000_000L * 6 * 4, flops.decodeFlops());
        assertEquals(Optional.empty(), raw(outcome, 1).flopsChain().stream()
                .filter(a -> a.strategy().equals("never-asked")).findAny());

        assertEquals(1, backend.opened);
        assertEquals(1, backend.closed);
    }

    /**
     * A backend that says when each request arrived (a closed loop: when its slot frees, which is
     * when it is sent) overrides the plan's arrival at the window's start: its requests, run one
     * after another, did not queue, so TTFT is the 3 ms service time for each.
     */
    @Test
    void anArrivalTheBackendReportsReplacesThePlans() throws IOException {
        backend.reportsArrival = true;
        RunOutcome outcome = runner(config("""
                warmup: {enabled: false}
                baseline: {enabled: false}
                """), List.of(), List.of()).run();

        assertTrue(outcome.complete(), outcome.reason());
        var latency = outcome.result().overall().latency();
        assertEquals(0.0, latency.queueMs().max(), 1e-9, "no request waited: each arrived as it was sent");
        assertEquals(3.0, latency.ttftMs().max(), 1e-9);
        for (RequestTimeline request : raw(outcome, 1).requests()) {
            assertEquals(request.startNanos(), request.arrivalNanos(), request.requestId());
        }
    }

    @Test
    void aBackendFailingInCycleTwoKeepsCycleOneAndMarksTheRunIncomplete() throws IOException {
        backend.failOnCall = 2;
        backend.failAfterRequests = 1;
        MeteredEnergySource meter = new MeteredEnergySource("meter", new double[] {40});
        RunOutcome outcome = runner(config("""
                warmup: {enabled: false}
                baseline: {enabled: false}
                cycles: 3
                """), List.of(meter), List.of()).run();

        assertFalse(outcome.complete());
        assertEquals("backend failed: device lost after 1 request(s)", outcome.reason());
        RawResult first = raw(outcome, 1);
        assertTrue(first.complete());
        assertEquals(3, first.requests().size());
        RawResult second = raw(outcome, 2);
        assertFalse(second.complete());
        assertEquals(outcome.reason(), second.incompleteReason());
        assertEquals(1, second.requests().size(), "the request that finished before the failure is kept");
        assertFalse(Files.exists(outcome.directory().resolve(ResultsDirectory.rawPath(3, 0))));

        ExperimentStatus status = status(outcome);
        assertEquals(RunState.INCOMPLETE, status.state());
        assertEquals(outcome.reason(), status.reason());
        AggregatedResult result = ResultsJson.read(outcome.directory().resolve(ResultsDirectory.RESULT_FILE),
                AggregatedResult.class);
        assertEquals(1, result.cyclesMeasured());
        assertFalse(result.complete());
        assertEquals(3, result.overall().requests());
        assertEquals(1, backend.closed, "the model is closed after a failure");
    }

    /** Two cycles; the backend blocks in measurement call {@code call} until another thread cancels the run. */
    private RunOutcome runCancelledInCall(int call, String reason) throws Exception {
        backend.blockOnCall = call;
        ExperimentRunner runner = runner(config("""
                warmup: {enabled: false}
                baseline: {enabled: false}
                cycles: 2
                """), List.of(new MeteredEnergySource("meter", new double[] {40})), List.of());
        Thread canceller = new Thread(() -> {
            try {
                backend.blocking.await();
                runner.cancel(reason);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        canceller.start();
        RunOutcome outcome = runner.run();
        canceller.join();
        return outcome;
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void cancelFromAnotherThreadStopsABlockedBackend() throws Exception {
        RunOutcome outcome = runCancelledInCall(2, "stopped by the test");

        assertFalse(Thread.currentThread().isInterrupted(), "the cancel's interrupt must not outlive the run");
        assertFalse(outcome.complete());
        assertEquals("stopped by the test", outcome.reason());
        assertTrue(raw(outcome, 1).complete());
        RawResult cut = raw(outcome, 2);
        assertFalse(cut.complete());
        assertEquals("stopped by the test", cut.incompleteReason());
        ExperimentStatus status = status(outcome);
        assertEquals(RunState.INCOMPLETE, status.state());
        assertEquals("stopped by the test", status.reason());
        assertEquals(1, outcome.result().cyclesMeasured());
    }

    @Test
    void anOutOfMemoryErrorInCycleTwoMarksTheRunIncompleteWithTheReasonAndARow() throws IOException {
        backend.errorOnCall = 2;
        // the JVM's own error, as a backend's allocation would meet it
        backend.error = new OutOfMemoryError("Java heap space");
        RunOutcome outcome = runner(config("""
                warmup: {enabled: false}
                baseline: {enabled: false}
                cycles: 3
                """), List.of(new MeteredEnergySource("meter", new double[] {40})), List.of()).run();

        assertFalse(outcome.complete());
        assertTrue(outcome.reason().startsWith("out of memory (Java heap space)"), outcome.reason());
        ExperimentStatus status = status(outcome);
        assertEquals(RunState.INCOMPLETE, status.state());
        assertEquals(outcome.reason(), status.reason());
        String csv = Files.readString(dir.resolve("results").resolve(ResultsDirectory.EXPERIMENTS_CSV));
        assertTrue(csv.contains(outcome.experimentId() + ",runner-test,incomplete,out of memory"), csv);
        assertEquals(1, outcome.result().cyclesMeasured(), "cycle 1 is kept");
        assertFalse(outcome.result().complete());
        assertTrue(outcome.result().warnings().stream().anyMatch(w -> w.startsWith("cycles 2-3 of 3 planned have no raw "
                + "file: the run ended before them; the run stopped: out of memory")), outcome.result().warnings()::toString);
        assertEquals(1, backend.closed, "the model is closed after the error");
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aRunCutInCycleOneHasAResultThatSaysNothingWasMeasuredAndWhy() throws Exception {
        RunOutcome outcome = runCancelledInCall(1, "interrupted by Ctrl-C");

        assertEquals("interrupted by Ctrl-C", outcome.reason());
        AggregatedResult result = outcome.result();
        assertNotNull(result, "a result is written even when no cycle finished");
        assertEquals(null, result.overall());
        assertEquals(0, result.cyclesMeasured());
        assertTrue(result.warnings().contains("cycle 2 of 2 planned has no raw file: the run ended before it; the run "
                + "stopped: interrupted by Ctrl-C"), result.warnings()::toString);
        assertEquals(result, ResultsJson.read(outcome.directory().resolve(ResultsDirectory.RESULT_FILE),
                AggregatedResult.class));
        assertEquals(RunState.INCOMPLETE, status(outcome).state());
    }

    @Test
    void theStatusRecordsTheProcessThatRunsTheExperiment() throws IOException {
        RunOutcome outcome = runner(config("""
                warmup: {enabled: false}
                baseline: {enabled: false}
                """), List.of(), List.of()).run();

        ExperimentStatus status = status(outcome);
        assertEquals(ProcessHandle.current().pid(), status.pid());
        assertEquals(lem.runtime.results.RunningProcess.current().host(), status.host());
        assertEquals(ProcessHandle.current().info().startInstant().orElseThrow().toEpochMilli(),
                status.processStartedEpochMillis());
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void cancelDuringWarmupEndsTheRunBeforeAnyCycle() throws IOException {
        // the cancel arrives while the second warmup batch runs; this backend finishes the batch anyway
        java.util.concurrent.atomic.AtomicReference<ExperimentRunner> self = new java.util.concurrent.atomic.AtomicReference<>();
        backend.onWarmupCall = n -> {
            if (n == 2) {
                self.get().cancel("stopped during warmup");
            }
        };
        LoadedConfig loaded = config("""
                warmup: {enabled: true, min_requests: 5, max_requests: 10, window: 5}
                baseline: {enabled: false}
                """);
        RunServices services = new RunServices(plugin(ScriptedBackend.NAME, (InferenceBackend) backend), List.of(),
                List.of(), Map.of());
        ExperimentRunner runner = new ExperimentRunner(loaded, services, new BaselineMeter(), RunProgress.SILENT,
                new EnvironmentCapture(fakeRoot()), dir);
        self.set(runner);

        RunOutcome outcome = runner.run();

        assertFalse(Thread.currentThread().isInterrupted());
        assertFalse(outcome.complete());
        assertEquals("stopped during warmup", outcome.reason());
        assertEquals(2, backend.warmupCalls().size());
        assertEquals(List.of(), backend.measurementCalls());
        assertEquals(RunState.INCOMPLETE, status(outcome).state());
        assertEquals("stopped during warmup", status(outcome).reason());
        assertEquals(1, backend.closed);
    }

    /** The progress lines a run printed. */
    private static final class RecordedProgress implements RunProgress {
        final List<String> phases = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

        @Override
        public void phase(String description) {
            phases.add(description);
        }

        @Override
        public void measuring(int cycle, int cycles, int done, int total, long elapsedNanos, double powerWatts,
                boolean estimated) {
        }

        List<String> warmupLines() {
            return phases.stream().filter(p -> p.startsWith("warmup")).toList();
        }
    }

    private RunOutcome runWithProgress(LoadedConfig loaded, RunProgress progress) throws IOException {
        RunServices services = new RunServices(plugin(ScriptedBackend.NAME, (InferenceBackend) backend), List.of(),
                List.of(), Map.of());
        return new ExperimentRunner(loaded, services, new BaselineMeter(), progress, new EnvironmentCapture(fakeRoot()),
                dir).run();
    }

    @Test
    void warmupSendsTheCyclesBatchShapeAndStopsOnceTheDecodeTimeIsSteady() throws IOException {
        RecordedProgress progress = new RecordedProgress();
        RunOutcome outcome = runWithProgress(config("""
                batching: {strategy: static, batch_size: 2}
                warmup: {enabled: true, min_requests: 6, max_requests: 40, window: 4, cv_threshold: 0.05}
                baseline: {enabled: false}
                """), progress);

        assertTrue(outcome.complete(), outcome.reason());
        // batches of 2 as the cycles send them; constant decode time: CV 0 once min_requests (6) have run
        assertEquals(List.of(2, 2, 2), backend.warmupCalls().stream().map(List::size).toList());
        // the batches walk through the plan's prompts as a cycle does, not the first prompt again and again
        assertEquals(List.of("warmup-0", "warmup-1"), backend.warmupCalls().get(0));
        assertTrue(outcome.result().warnings().stream().noneMatch(w -> w.contains("warmup did not converge")),
                String.valueOf(outcome.result().warnings()));
        assertEquals(1, progress.warmupLines().size(), String.valueOf(progress.phases));
        assertTrue(progress.warmupLines().get(0).startsWith("warmup converged: per-token decode time CV"),
                progress.warmupLines().get(0));
    }

    @Test
    void aFirstTokenThatVariesDoesNotHoldTheWarmupBack() throws IOException {
        // 3 ms or 23 ms to the first token: end-to-end latency jumps about (CV ~0.6), decode time per token is steady
        backend.warmupExtraNanos = i -> i % 2 == 0 ? 0 : 20_000_000L;
        RunOutcome outcome = runWithProgress(config("""
                warmup: {enabled: true, min_requests: 2, max_requests: 12, window: 3, cv_threshold: 0.05}
                baseline: {enabled: false}
                """), RunProgress.SILENT);

        assertTrue(outcome.complete(), outcome.reason());
        // window 3 at batch size 1: three batches judged; steady from the start, so min (2) and the window (3) decide
        assertEquals(3, backend.warmupCalls().size());
        assertTrue(outcome.result().warnings().stream().noneMatch(w -> w.contains("warmup did not converge")),
                String.valueOf(outcome.result().warnings()));
    }

    @Test
    void warmupThatNeverSettlesStopsAtTheMaximumWithAWarningAndOneLine() throws IOException {
        // batches alternate 2 ms and 8 ms between tokens: the CV of any two batches stays far above 0.05
        backend.warmupExtraItlNanos = i -> (i / 2) % 2 == 0 ? 0 : 6_000_000L;
        RecordedProgress progress = new RecordedProgress();
        RunOutcome outcome = runWithProgress(config("""
                batching: {strategy: static, batch_size: 2}
                warmup: {enabled: true, min_requests: 2, max_requests: 7, window: 4, cv_threshold: 0.05}
                baseline: {enabled: false}
                """), progress);

        assertTrue(outcome.complete(), outcome.reason());
        // 7 requests rounded up to whole batches of 2: 4 batches, 8 requests
        assertEquals(4, backend.warmupCalls().size());
        assertTrue(outcome.result().warnings().stream()
                .anyMatch(w -> w.contains("warmup did not converge: per-token decode time") && w.contains("after 8 requests")),
                String.valueOf(outcome.result().warnings()));
        assertEquals(1, progress.warmupLines().size(), String.valueOf(progress.phases));
        assertEquals(1, backend.measurementCalls().size());
    }

    @Test
    void warmupJudgesTheBatchesThatHoldTheWindowsRequestsAndNeverFewerThanTwo() {
        assertEquals(2, ExperimentRunner.warmupWindowBatches(5, 4)); // quickstart: 5 requests span 2 batches of 4
        assertEquals(3, ExperimentRunner.warmupWindowBatches(5, 2));
        assertEquals(5, ExperimentRunner.warmupWindowBatches(5, 1));
        assertEquals(2, ExperimentRunner.warmupWindowBatches(2, 8));
    }

    @Test
    void decodeTimePerTokenLeavesOutTheFirstTokenAndSingleTokenRequests() {
        // (1000 - 100) / (10 - 1) = 100 ns and (2100 - 300) / (4 - 1) = 600 ns: mean 350; the 1-token request has none
        List<lem.api.backend.RequestResult> batch = List.of(
                new lem.api.backend.RequestResult("a", 0, 100, 1000, 8, 10, "length", null),
                new lem.api.backend.RequestResult("b", 0, 300, 2100, 8, 4, "length", null),
                new lem.api.backend.RequestResult("c", 0, 50, 50, 8, 1, "length", null));
        assertEquals(350.0, ExperimentRunner.meanDecodeNanosPerToken(batch), 1e-9);
        assertTrue(Double.isNaN(ExperimentRunner.meanDecodeNanosPerToken(List.of(batch.get(2)))));
    }

    @Test
    void coefficientOfVariationUsesTheSampleStandardDeviation() {
        // 9, 10, 11: sd (n-1) = 1, mean 10
        assertEquals(0.1, ExperimentRunner.coefficientOfVariation(List.of(9.0, 10.0, 11.0)), 1e-12);
        assertTrue(Double.isNaN(ExperimentRunner.coefficientOfVariation(List.of(5.0))));
    }
}
