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

        Comparison comparison = store.compare("baseline-run", "int8-run");
        ComparisonRow energy = comparison.rows().stream().filter(r -> r.metric().equals("energy_raw_j")).findFirst()
                .orElseThrow();
        assertEquals(-20.0, energy.differencePercent(), 1e-9);
        assertTrue(comparison.notes().stream().anyMatch(n -> n.contains("fewer than 2 cycles")));

        String csv = store.exportCsv("int8-run", "baseline-run");
        String[] lines = csv.split("\n");
        assertEquals(3, lines.length);
        assertTrue(lines[0].startsWith("experiment_id,name,status"));
        assertTrue(lines[1].startsWith("int8-run,int8-run name,complete,"), lines[1]);
        assertTrue(lines[0].contains("j_per_output_token,"), lines[0]);
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
}
