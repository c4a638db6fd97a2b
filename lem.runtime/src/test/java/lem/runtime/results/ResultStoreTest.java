package lem.runtime.results;

import static lem.runtime.results.Fixtures.MS;
import static lem.runtime.results.Fixtures.S;
import static lem.runtime.results.Fixtures.at;
import static lem.runtime.results.Fixtures.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultStoreTest {
    @TempDir
    Path root;

    /** One cycle, one request of 10 output tokens in a 2 s window, the given GPU energy. */
    private void experiment(String id, double joules) throws Exception {
        ResultsDirectory directory = ResultsDirectory.create(root, id, id + " name");
        directory.writeRaw(Fixtures.raw(id, 1, 0, 0, 2 * S,
                List.of(request("r", 4, 0, S, at(100 * MS, 5), at(S, 5))),
                List.of(Fixtures.reading("nvml", 0, 2 * S, Fixtures.gpu("GPU-0", joules))), List.of(), null));
        directory.writeResult(directory.aggregate());
        directory.markComplete();
    }

    @Test
    void listLoadCompareAndExport() throws Exception {
        experiment("baseline-run", 100);
        experiment("int8-run", 80);
        ResultsDirectory.create(root, "crashed", "crashed");
        ResultStore store = new ResultStore(root);

        List<ExperimentSummary> list = store.list();
        assertEquals(3, list.size());
        ExperimentSummary first = list.stream().filter(s -> s.experimentId().equals("baseline-run")).findFirst()
                .orElseThrow();
        assertEquals(RunState.COMPLETE, first.state());
        assertEquals(5.0, first.outputTokensPerSecond(), 1e-9);
        assertEquals(10.0, first.joulesPerOutputToken(), 1e-9);
        ExperimentSummary crashed = list.stream().filter(s -> s.experimentId().equals("crashed")).findFirst()
                .orElseThrow();
        assertEquals(RunState.RUNNING, crashed.state());
        assertNull(crashed.cycles());

        assertEquals(100.0, store.load("baseline").overall().energy().rawJoules(), 1e-9); // unique prefix

        var comparison = lem.runtime.analysis.ExperimentComparison.of(List.of(
                lem.runtime.analysis.StoredExperiment.read(store.directory("baseline-run").path()),
                lem.runtime.analysis.StoredExperiment.read(store.directory("int8-run").path())));
        var energy = comparison.rows().stream().filter(r -> r.metric().equals("energy_j")).findFirst().orElseThrow();
        assertEquals(-20.0, energy.differencePercent(), 1e-9);
        // one cycle each: no test of the cycles, and the comparison says why
        assertNull(energy.test());
        assertTrue(comparison.unfair().stream().anyMatch(n -> n.contains("has 1 cycle(s): no t-test")),
                comparison.unfair().toString());

        String csv = store.exportCsv("int8-run", "baseline-run");
        String[] lines = csv.split("\n");
        assertEquals(3, lines.length);
        assertTrue(lines[0].startsWith("experiment_id,name,status"));
        assertTrue(lines[1].startsWith("int8-run,int8-run name,complete,"), lines[1]);
        assertTrue(lines[0].contains(",j_per_output_token_pooled,j_per_output_token_cycle_mean,"), lines[0]);
    }

    @Test
    void anExperimentsCsvWithOlderColumnsIsKeptAsideNotMixedWithTheNewOnes() throws Exception {
        java.nio.file.Files.createDirectories(root);
        String old = "experiment_id,name,output_tokens_per_s,output_tokens_per_s_ci95_half_width\nold-run,old,708.7,2252.3\n";
        java.nio.file.Files.writeString(root.resolve(ResultsDirectory.EXPERIMENTS_CSV), old);
        experiment("new-run", 100);

        List<String> lines = java.nio.file.Files.readAllLines(root.resolve(ResultsDirectory.EXPERIMENTS_CSV));
        assertEquals(String.join(",", ExperimentCsv.header()), lines.get(0));
        assertEquals(2, lines.size());
        assertTrue(lines.get(1).startsWith("new-run,"), lines.get(1));
        assertEquals(old, java.nio.file.Files.readString(root.resolve(ResultsDirectory.EXPERIMENTS_CSV + ".bak")));
    }

    @Test
    void anUnknownIdNamesTheNearestOnes() throws Exception {
        experiment("llama-bf16", 100);
        experiment("llama-int8", 100);
        experiment("gpt2-fp32", 100);
        ResultStore store = new ResultStore(root);
        UnknownExperimentException error = assertThrows(UnknownExperimentException.class,
                () -> store.load("llama-bf61"));
        assertEquals("llama-bf16", error.nearest().get(0));
        assertTrue(error.getMessage().startsWith("no experiment 'llama-bf61' in "), error.getMessage());
    }

    @Test
    void anAmbiguousPrefixListsEveryCandidate() throws Exception {
        experiment("llama-bf16", 100);
        experiment("llama-int8", 100);
        experiment("llama-fp8", 100);
        experiment("gpt2-fp32", 100);
        ResultStore store = new ResultStore(root);
        UnknownExperimentException ambiguous = assertThrows(UnknownExperimentException.class, () -> store.load("llama"));
        assertEquals(List.of("llama-bf16", "llama-fp8", "llama-int8"), ambiguous.nearest());
        assertTrue(ambiguous.getMessage().startsWith("'llama' is ambiguous: 3 experiments in "), ambiguous.getMessage());
        assertTrue(ambiguous.getMessage().contains("start with it: llama-bf16, llama-fp8, llama-int8; give more of the id"),
                ambiguous.getMessage());
        assertFalse(ambiguous.getMessage().contains("no experiment"), ambiguous.getMessage());
        assertEquals("llama-fp8", store.directory("llama-f").experimentId());
    }

    @Test
    void anExperimentThatWasNeverAggregatedSaysHowToDoIt() throws Exception {
        ResultsDirectory.create(root, "raw-only", "raw only");
        ResultsFileException error = assertThrows(ResultsFileException.class, () -> new ResultStore(root).load("raw-only"));
        assertTrue(error.getMessage().contains("lem:aggregate raw-only"), error.getMessage());
    }

    @Test
    void aFolderWithAMissingOrGarbledStatusIsSkippedWithAWarningNamingIt() throws Exception {
        experiment("good-run", 100);
        ResultsDirectory garbled = ResultsDirectory.create(root, "garbled-run", "garbled");
        java.nio.file.Files.writeString(garbled.path().resolve(ResultsDirectory.STATUS_FILE), "{\"schema_version\": \"1\", \"sta");
        java.nio.file.Files.createDirectories(root.resolve("no-status-run").resolve(ResultsDirectory.RAW_DIR));
        ResultsDirectory badResult = ResultsDirectory.create(root, "bad-result-run", "bad result");
        java.nio.file.Files.writeString(badResult.path().resolve(ResultsDirectory.RESULT_FILE), "not json");

        ResultStore.Listing listing = new ResultStore(root).listing();

        assertEquals(List.of("bad-result-run", "good-run"),
                listing.experiments().stream().map(ExperimentSummary::experimentId).sorted().toList());
        List<String> warnings = listing.warnings();
        assertEquals(3, warnings.size(), warnings::toString);
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("skipped " + garbled.path() + ": ")
                && w.contains("is not a valid ExperimentStatus")), warnings::toString);
        assertTrue(warnings.contains("skipped " + root.resolve("no-status-run") + ": it has no status.json "
                + "(lem aggregate no-status-run still reads its raw files)"), warnings::toString);
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith(badResult.path() + ": metrics left blank: ")),
                warnings::toString);
        assertTrue(new ResultStore(root).exportCsv().contains("good-run"), "export skips the unreadable folders too");
    }

    /** A status.json as the given process would have written it when it started the run. */
    private void runningIn(String id, long pid, Long processStartedEpochMillis) throws Exception {
        ResultsDirectory directory = ResultsDirectory.create(root, id, id);
        ResultsJson.writeAtomically(directory.path().resolve(ResultsDirectory.STATUS_FILE),
                new ExperimentStatus(null, id, id, RunState.RUNNING, null, 1, 1, pid, RunningProcess.current().host(),
                        processStartedEpochMillis));
    }

    @Test
    void aRunningExperimentWhoseProcessIsGoneOrWhosePidWasReusedIsDead() throws Exception {
        Process finished = new ProcessBuilder("true").start();
        finished.waitFor();
        long self = ProcessHandle.current().pid();
        long selfStarted = ProcessHandle.current().info().startInstant().orElseThrow().toEpochMilli();
        runningIn("killed", finished.pid(), finished.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(null));
        runningIn("pid-reused", self, selfStarted - 3_600_000L);
        runningIn("alive", self, selfStarted);
        ResultsDirectory otherHost = ResultsDirectory.create(root, "other-host", "other-host");
        ResultsJson.writeAtomically(otherHost.path().resolve(ResultsDirectory.STATUS_FILE),
                new ExperimentStatus(null, "other-host", "other-host", RunState.RUNNING, null, 1, 1, finished.pid(),
                        "another-host-name", null));

        java.util.Map<String, ExperimentSummary> byId = new java.util.HashMap<>();
        new ResultStore(root).list().forEach(e -> byId.put(e.experimentId(), e));

        assertEquals(RunState.DEAD, byId.get("killed").state());
        assertTrue(byId.get("killed").reason().startsWith("its process (PID " + finished.pid() + " on "),
                byId.get("killed").reason());
        assertEquals(RunState.DEAD, byId.get("pid-reused").state(), "the PID runs another process, started later");
        assertEquals(RunState.RUNNING, byId.get("alive").state());
        assertEquals(RunState.RUNNING, byId.get("other-host").state(), "another host's process cannot be checked");
        String csv = new ResultStore(root).exportCsv("killed");
        assertTrue(csv.contains("killed,killed,dead,\"its process (PID " + finished.pid()), csv);
    }
}
