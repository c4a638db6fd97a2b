package lem.runtime.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import lem.runtime.results.HeadlineMetric;
import lem.runtime.results.MetricStatistics;
import lem.runtime.results.ResultsDirectory;
import lem.runtime.run.ScriptedRuns;

/** Real campaigns of tiny experiments, run by the experiment runner on the scripted backend. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CampaignRunTest {
    @TempDir
    Path dir;

    private ScriptedRuns runs;
    /** Every run the executor was asked for, as "index:experiment". */
    private final List<String> executed = Collections.synchronizedList(new ArrayList<>());

    private CampaignExpansion.Result expansion(String extra) throws IOException {
        Files.writeString(dir.resolve("tiny.yaml"), CampaignExpansionTest.TINY);
        Files.writeString(dir.resolve("campaign.yaml"), """
                name: grid
                base: tiny.yaml
                grid:
                  batching.batch_size: [1, 2]
                  decoder.max_new_tokens: [2, 4]
                cycles: 2
                """ + (extra.contains("order:") ? extra : "order: interleaved\n" + extra));
        CampaignExpansion.Result result = CampaignExpansion.expand(CampaignFile.read(dir.resolve("campaign.yaml")),
                loaded -> List.of());
        assertTrue(result.valid(), () -> String.valueOf(result.problems()));
        return result;
    }

    private CampaignRunner runner(CampaignFolder folder, CampaignExpansion.Result expansion) {
        if (runs == null) {
            runs = new ScriptedRuns(dir);
        }
        return new CampaignRunner(folder, expansion.experiments(), (experiment, run, cancellation) -> {
            executed.add(run.index() + ":" + experiment.name());
            return runs.run(experiment.loaded(), runner -> cancellation.whileRunning(runner::cancel));
        }, CampaignRunner.Progress.SILENT);
    }

    private List<Path> experimentFolders() throws IOException {
        try (Stream<Path> children = Files.list(dir.resolve("results"))) {
            return children.filter(p -> Files.isRegularFile(p.resolve(ResultsDirectory.STATUS_FILE))).sorted().toList();
        }
    }

    @Test
    void aTwoByTwoGridOverTwoCyclesRunsEightExperimentsInterleavedAndSummarisesAcrossCycles() throws IOException {
        CampaignExpansion.Result expansion = expansion("");
        CampaignFolder folder = CampaignRunner.create(expansion, dir, 1_700_000_000_000L);

        CampaignRunner.Outcome outcome = runner(folder, expansion).run();

        assertTrue(outcome.finished());
        assertEquals(8, outcome.ran());
        assertNull(outcome.stopped());
        List<String> names = expansion.experiments().stream().map(Experiment::name).toList();
        List<String> expected = new ArrayList<>();
        for (int cycle = 0; cycle < 2; cycle++) {
            for (int e = 0; e < 4; e++) {
                expected.add(expected.size() + ":" + names.get(e));
            }
        }
        assertEquals(expected, executed, "interleaved: each experiment once per campaign cycle");
        assertEquals(8, experimentFolders().size(), "one results folder per run");
        assertTrue(folder.path().startsWith(dir.resolve("results").resolve("campaigns")));

        CampaignFolder reread = CampaignFolder.open(dir.resolve("results"), folder.plan().campaignId().substring(0, 6));
        assertEquals(folder.plan(), reread.plan(), "plan.json holds the plan");
        assertEquals(8, reread.records().size());
        for (RunRecord record : reread.records().values()) {
            assertEquals(RunRecord.State.COMPLETE, record.state());
            assertTrue(Files.isRegularFile(Path.of(record.resultDirectory()).resolve(ResultsDirectory.RESULT_FILE)));
            assertEquals(record.experiment(), folder.plan().experiments().get(folder.plan().runs().get(record.index()).experiment()).name());
        }

        CampaignSummary summary = CampaignSummary.of(reread, List.of(HeadlineMetric.OUTPUT_TOKENS_PER_SECOND, HeadlineMetric.ENERGY_RAW));
        assertEquals(List.of("batching.batch_size", "decoder.max_new_tokens"), summary.varied());
        assertEquals(4, summary.rows().size());
        CampaignSummary.Row row = summary.rows().get(1);
        assertEquals(names.get(1), row.experiment());
        assertEquals(List.of("1", "4"), row.values());
        assertEquals(2, row.complete());
        assertEquals(2, row.planned());
        MetricStatistics throughput = row.statistics().get(0);
        assertEquals(2, throughput.n(), "one value per campaign cycle");
        // the values are the two runs' own overall figures
        List<Double> perRun = new ArrayList<>();
        for (RunRecord r : reread.records().values()) {
            if (r.experiment().equals(row.experiment())) {
                Path result = Path.of(r.resultDirectory());
                perRun.add(HeadlineMetric.OUTPUT_TOKENS_PER_SECOND.valueOf(new lem.runtime.results.ResultStore(result.getParent())
                        .load(result.getFileName().toString()).overall()));
            }
        }
        assertEquals(perRun, throughput.values());
        assertEquals(MetricStatistics.of("output_tokens_per_s", "tokens/s", perRun), throughput);
        assertNotNull(throughput.ciLow(), "two cycles give a confidence interval");
        assertTrue(row.statistics().get(1).mean() > 0, "energy from the metered source");
    }

    @Test
    void theDryRunEstimateIsTheBaselinePlusTheLatestEarlierRunsMeasuredWindow() throws IOException {
        CampaignExpansion.Result expansion = expansion("");
        Experiment experiment = expansion.experiments().get(1);
        var config = experiment.loaded().config();
        Path resultsRoot = dir.resolve("results");
        DurationEstimate unknown = DurationEstimate.of(config, resultsRoot);
        assertFalse(unknown.known());
        assertEquals(0.0, unknown.seconds(), "baseline off in the tiny config, nothing measured before");

        runs = new ScriptedRuns(dir);
        runs.run(expansion.experiments().get(0).loaded(), r -> { });
        assertFalse(DurationEstimate.of(config, resultsRoot).known(), "another experiment's run is no basis");
        var outcome = runs.run(experiment.loaded(), r -> { });
        DurationEstimate known = DurationEstimate.of(config, resultsRoot);
        assertTrue(known.known());
        double windowSeconds = outcome.result().overall().windowNanos() / 1e9 / outcome.result().cyclesMeasured() * config.cycles();
        assertEquals(windowSeconds, known.seconds(), 1e-9);
        assertTrue(known.basis().endsWith("measured by " + outcome.experimentId()), known.basis());
    }

    @Test
    void aKilledCampaignResumesOnlyWhatIsMissing() throws IOException {
        CampaignExpansion.Result expansion = expansion("order: shuffled\nseed: 11\n");
        CampaignFolder folder = CampaignRunner.create(expansion, dir, 1_700_000_000_000L);
        // the first three runs finish; then kill -9 during the fourth: its record says running, it has no result
        CampaignRunner first = runner(folder, expansion);
        List<PlannedRun> plan = folder.plan().runs();
        for (int i = 0; i < 3; i++) {
            PlannedRun run = plan.get(i);
            Experiment e = expansion.experiments().get(run.experiment());
            var outcome = runs.run(e.loaded(), r -> { });
            folder.write(new RunRecord(i, e.name(), run.cycle(), RunRecord.State.COMPLETE, outcome.experimentId(),
                    outcome.directory().toString(), null, 0, 1, 2, List.of(), null));
        }
        PlannedRun killed = plan.get(3);
        folder.write(new RunRecord(3, expansion.experiments().get(killed.experiment()).name(), killed.cycle(),
                RunRecord.State.RUNNING, null, null, null, 0, 3, 0, List.of(), null));
        Map<Integer, RunRecord> before = folder.records();
        assertEquals(5, folder.missing().size());
        assertNotNull(first);

        CampaignFolder reopened = CampaignFolder.open(dir.resolve("results"), folder.path().toString());
        CampaignExpansion.Result again = CampaignExpansion.expand(CampaignFile.read(Path.of(reopened.plan().campaignFile())),
                loaded -> List.of());
        CampaignRunner.Outcome outcome = runner(reopened, again).run();

        assertTrue(outcome.finished());
        assertEquals(5, outcome.ran());
        assertEquals(List.of(3, 4, 5, 6, 7), executed.stream().map(s -> Integer.parseInt(s.split(":")[0])).toList(),
                "only the killed run and those never started, in plan order");
        Map<Integer, RunRecord> after = reopened.records();
        for (int i = 0; i < 3; i++) {
            assertEquals(before.get(i), after.get(i), "finished runs are not touched");
        }
        assertEquals(List.of("no results folder: still marked running (the process ended during the run)"),
                after.get(3).earlierAttempts());
        assertEquals(3 + 5, experimentFolders().size());
        assertEquals(11, reopened.plan().seed());
        assertEquals(Ordering.SHUFFLED.plan(4, 2, 11), reopened.plan().runs(), "the recorded seed's order");
    }

    @Test
    void cancellingMidCampaignKeepsWhatFinishedAndAResumeRunsTheRest() throws Exception {
        CampaignExpansion.Result expansion = expansion("gap_s: 0.05\n");
        CampaignFolder folder = CampaignRunner.create(expansion, dir, 1_700_000_000_000L);
        runs = new ScriptedRuns(dir).blockOnRun(3);
        CampaignRunner runner = runner(folder, expansion);
        Thread canceller = new Thread(() -> {
            try {
                runs.blocked.await();
                runner.cancel("interrupted by Ctrl-C");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        canceller.start();

        CampaignRunner.Outcome outcome = runner.run();
        canceller.join();

        assertFalse(outcome.finished());
        assertEquals("interrupted by Ctrl-C", outcome.stopped());
        assertEquals(3, outcome.ran());
        assertEquals(2, outcome.complete());
        Map<Integer, RunRecord> records = folder.records();
        assertEquals(RunRecord.State.CANCELLED, records.get(2).state());
        assertEquals("interrupted by Ctrl-C", records.get(2).reason());
        assertNotNull(records.get(2).experimentId(), "the cut run keeps its results folder, marked incomplete");
        assertEquals(0.0, records.get(0).gapSeconds());
        assertEquals(0.05, records.get(1).gapSeconds(), "the pause before each later run is recorded");
        assertTrue(records.get(1).startedEpochMillis() - records.get(0).endedEpochMillis() >= 50);
        assertEquals(3, records.size(), "nothing after the cancel started");

        executed.clear();
        CampaignRunner.Outcome resumed = runner(folder, expansion).run();
        assertTrue(resumed.finished());
        assertEquals(List.of(2, 3, 4, 5, 6, 7), executed.stream().map(s -> Integer.parseInt(s.split(":")[0])).toList());
        assertEquals(1, folder.record(2).orElseThrow().earlierAttempts().size());
        assertTrue(folder.record(2).orElseThrow().earlierAttempts().get(0).endsWith("cancelled: interrupted by Ctrl-C"));
    }

    @Test
    void aFailedExperimentIsRecordedWithItsReasonAndTheCampaignGoesOnOrStops() throws IOException {
        CampaignExpansion.Result expansion = expansion("");
        CampaignFolder folder = CampaignRunner.create(expansion, dir, 1_700_000_000_000L);
        runs = new ScriptedRuns(dir);
        CampaignRunner.Executor failingSecond = (experiment, run, cancellation) -> {
            executed.add(run.index() + ":" + experiment.name());
            if (run.experiment() == 1) {
                throw new IllegalStateException("backend scripted went away before the run started");
            }
            return runs.run(experiment.loaded(), r -> { });
        };
        CampaignRunner.Outcome outcome = new CampaignRunner(folder, expansion.experiments(), failingSecond,
                CampaignRunner.Progress.SILENT).run();
        assertEquals(8, outcome.ran(), "on_failure continue (the default) goes on");
        assertEquals(6, outcome.complete());
        assertEquals(2, outcome.failed());
        RunRecord failed = folder.record(1).orElseThrow();
        assertEquals(RunRecord.State.FAILED, failed.state());
        assertEquals("backend scripted went away before the run started", failed.reason());

        Files.writeString(dir.resolve("campaign.yaml"), Files.readString(dir.resolve("campaign.yaml")) + "on_failure: stop\n");
        CampaignExpansion.Result stopping = CampaignExpansion.expand(CampaignFile.read(dir.resolve("campaign.yaml")), l -> List.of());
        CampaignFolder second = CampaignRunner.create(stopping, dir, 1_700_000_001_000L);
        executed.clear();
        CampaignRunner.Outcome stopped = new CampaignRunner(second, stopping.experiments(), failingSecond,
                CampaignRunner.Progress.SILENT).run();
        assertEquals(2, stopped.ran());
        assertTrue(stopped.stopped().startsWith("run 1 (" + stopping.experiments().get(1).name() + ") failed and on_failure is stop"),
                stopped.stopped());
        assertEquals(7, stopped.left());
    }

    @Test
    void theCoolDownWaitsBeforeEachLaterRunUntilTheDevicesAreBackNearTheirIdleReferenceAndARecordSaysSo()
            throws IOException {
        CampaignExpansion.Result expansion = expansion("cool_down: {within_watts: 10, within_celsius: 3, max_s: 30, sample_s: 0.1}\n");
        CampaignFolder folder = CampaignRunner.create(expansion, dir, 1_700_000_000_000L);
        assertEquals(new CoolDown(10, 3, 30, 0.1), folder.plan().coolDown());
        // the device is idle at first; each run heats it to 300 W / 80 C, and it cools by half the excess each reading
        double[] excess = { 0 };
        List<String> readings = Collections.synchronizedList(new ArrayList<>());
        DeviceTelemetry gpu = seconds -> {
            readings.add(String.valueOf(excess[0]));
            var state = new DeviceTelemetry.DeviceState(100 + 200 * excess[0], 40 + 40 * excess[0]);
            excess[0] /= 2;
            return Map.of("gpu0", state);
        };
        runs = new ScriptedRuns(dir);
        CampaignRunner runner = new CampaignRunner(folder, expansion.experiments(), (experiment, run, cancellation) -> {
            excess[0] = 1;
            return runs.run(experiment.loaded(), r -> { });
        }, CampaignRunner.Progress.SILENT).withTelemetry(gpu);
        CampaignRunner.Outcome outcome = runner.run();
        assertTrue(outcome.finished());
        CampaignFolder reread = CampaignFolder.open(dir.resolve("results"), folder.path().toString());
        RunRecord first = reread.record(0).orElseThrow();
        assertEquals(0, first.coolDown().waitedSeconds(), "the reference is taken just before the first run");
        assertEquals(Map.of("gpu0", new DeviceTelemetry.DeviceState(100, 40.0)), first.coolDown().idle());
        RunRecord second = reread.record(1).orElseThrow();
        assertTrue(second.coolDown().reached());
        // 1 -> 300 W (far), 0.5 -> 200 W, 0.25 -> 150 W, 0.125 -> 125 W, 0.0625 -> 112.5 W, 0.03125 -> 106.25 W / 41.25 C: back
        assertEquals(new DeviceTelemetry.DeviceState(106.25, 41.25), second.coolDown().last().get("gpu0"));
        assertEquals(1 + 7 * 6, readings.size(), "one reference, then six readings before each of the seven later runs");
        assertTrue(Files.isRegularFile(folder.path().resolve(CampaignRunner.IDLE_FILE)));

        // a resume on a warm device compares with the reference kept on disk, and waits before its first run too
        Files.delete(reread.recordPath(7));
        excess[0] = 1;
        readings.clear();
        executed.clear();
        CampaignRunner resumed = new CampaignRunner(reread, expansion.experiments(), (experiment, run, cancellation) -> {
            executed.add(run.index() + ":" + experiment.name());
            return runs.run(experiment.loaded(), r -> { });
        }, CampaignRunner.Progress.SILENT).withTelemetry(gpu);
        assertTrue(resumed.run().finished());
        assertEquals(1, executed.size());
        assertEquals(6, readings.size(), "no new reference: the kept one");
        assertTrue(reread.record(7).orElseThrow().coolDown().reached());
    }

    @Test
    void aResumeRefusesAConfigThatChangedSinceTheCampaignStarted() throws IOException {
        CampaignExpansion.Result expansion = expansion("");
        CampaignFolder folder = CampaignRunner.create(expansion, dir, 1_700_000_000_000L);
        Files.writeString(dir.resolve("tiny.yaml"), CampaignExpansionTest.TINY.replace("count: 2", "count: 3"));
        CampaignExpansion.Result changed = CampaignExpansion.expand(CampaignFile.read(dir.resolve("campaign.yaml")), l -> List.of());
        CampaignException e = assertThrows(CampaignException.class, () -> runner(folder, changed));
        assertTrue(e.getMessage().startsWith("experiment " + expansion.experiments().get(0).name() + " ("), e.getMessage());
        assertTrue(e.getMessage().contains("changed since the campaign started"), e.getMessage());
        assertTrue(executed.isEmpty());
    }

    @Test
    void twoRunnersNeverRunOneCampaignAtOnce() throws Exception {
        CampaignExpansion.Result expansion = expansion("");
        CampaignFolder folder = CampaignRunner.create(expansion, dir, 1_700_000_000_000L);
        try (AutoCloseable held = folder.lock()) {
            CampaignException e = assertThrows(CampaignException.class, () -> runner(folder, expansion).run());
            assertTrue(e.getMessage().contains("is being run by another process"), e.getMessage());
        }
        assertTrue(executed.isEmpty());
    }
}
