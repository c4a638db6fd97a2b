package lem.runtime.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.runtime.results.ExperimentFolders;
import lem.runtime.results.ExperimentFolders.Cycle;
import lem.runtime.results.TidyTable;

/** {@code lem results export | compare | pareto | correlate} on a results folder the test writes. */
class ResultsAnalysisCommandTest {
    @TempDir
    Path work;

    /**
     * A batch-size sweep, one cycle each: batch b spends 640 / b J on 2 requests of 4 tokens
     * (8 tokens) in 2 s, so J per output token is 80, 40, 20, 10 for b = 1, 2, 4, 8, and every
     * experiment has 4 tokens/s; "slow" (batch 8) spends 10 J/token at 2 tokens/s (4 s window).
     */
    private void sweep() throws Exception {
        Path root = work.resolve("results");
        for (int batch : new int[] {1, 2, 4, 8}) {
            ExperimentFolders.experiment(root, "batch-" + batch, ExperimentFolders.config("batch-" + batch, batch, 32, "float16", 1),
                    false, new Cycle(640.0 / batch, 2, 2, 32, 4, 100));
        }
    }

    @Test
    void exportWritesTheTidyTableThatTheResultsFolderKeepsCurrent() throws Exception {
        sweep();
        String csv = (String) ResultsAnalysisCommand.run("export", new String[0], work);
        assertEquals(Files.readString(work.resolve("results").resolve(TidyTable.EXPERIMENTS_FILE)), csv);
        assertEquals(5, csv.lines().count(), "header and 4 experiments");
        assertTrue(csv.lines().findFirst().orElseThrow().contains(",batch_size,"), "config columns");

        String cycles = (String) ResultsAnalysisCommand.run("export", new String[] {"--per-cycle", "batch-2"}, work);
        assertEquals(2, cycles.lines().count(), "header and the one cycle of batch-2");
        assertTrue(cycles.lines().skip(1).findFirst().orElseThrow().startsWith("batch-2,"));

        Object written = ResultsAnalysisCommand.run("export", new String[] {"--out", "out/tidy.csv"}, work);
        assertEquals(csv, Files.readString(work.resolve("out/tidy.csv")));
        assertTrue(written.toString().contains("4 experiment row(s)"), written.toString());
    }

    @Test
    void withoutTheSqlBundleQueryAndParquetSayWhatIsMissing() throws Exception {
        sweep();
        CommandFailure query = assertThrows(CommandFailure.class,
                () -> ResultsAnalysisCommand.run("query", new String[] {"SELECT 1"}, work));
        assertTrue(query.getMessage().contains("lem.results.sql bundle (DuckDB) is not installed"), query.getMessage());
        CommandFailure parquet = assertThrows(CommandFailure.class,
                () -> ResultsAnalysisCommand.run("export", new String[] {"--format", "parquet", "--out", "t.parquet"}, work));
        assertTrue(parquet.getMessage().contains("lem.results.sql"), parquet.getMessage());
        assertTrue(Files.notExists(work.resolve("t.parquet")));
        CommandFailure format = assertThrows(CommandFailure.class,
                () -> ResultsAnalysisCommand.run("export", new String[] {"--format", "xlsx"}, work));
        assertEquals("lem results export: --format 'xlsx' is not known; allowed: csv, parquet", format.getMessage());
        CommandFailure console = assertThrows(CommandFailure.class,
                () -> ResultsAnalysisCommand.run("export", new String[] {"--format", "parquet"}, work));
        assertTrue(console.getMessage().contains("needs --out"), console.getMessage());
        CommandFailure usage = assertThrows(CommandFailure.class,
                () -> ResultsAnalysisCommand.run("query", new String[] {"SELECT", "1"}, work));
        assertTrue(usage.getMessage().startsWith("usage: lem results query"), usage.getMessage());
    }

    @Test
    void paretoListsTheFrontAndWhatDominatesTheRest() throws Exception {
        sweep();
        ExperimentFolders.experiment(work.resolve("results"), "slow", ExperimentFolders.config("slow", 8, 32, "float16", 1),
                false, new Cycle(80, 4, 2, 32, 4, 100));

        ResultTables.Rows table = ResultsAnalysisCommand.pareto(new String[] {"--x", "j_per_output_token:min",
                "--y", "output_tokens_per_s:max"}, work);

        // batch-8 has the lowest J/token (10) at 4 tokens/s, the highest speed: it dominates all others
        assertEquals(List.of("front", "batch-8", "10.00", "4.000", "lowest j_per_output_token; highest output_tokens_per_s"),
                table.rows().get(0));
        assertEquals(1, table.rows().stream().filter(r -> r.get(0).equals("front")).count());
        List<String> slow = table.rows().stream().filter(r -> r.get(1).equals("slow")).findFirst().orElseThrow();
        assertEquals("dominated by batch-8", slow.get(4), "same J/token, half the speed");
    }

    @Test
    void paretoSaysWhatItNeedsWhenAMetricOrGoalIsWrong() throws Exception {
        sweep();
        CommandFailure noGoal = assertThrows(CommandFailure.class, () -> ResultsAnalysisCommand.pareto(
                new String[] {"--x", "j_per_output_token", "--y", "output_tokens_per_s:max"}, work));
        assertTrue(noGoal.getMessage().contains("needs :min or :max"), noGoal.getMessage());
        CommandFailure typo = assertThrows(CommandFailure.class, () -> ResultsAnalysisCommand.pareto(
                new String[] {"--x", "j_per_output_tokn:min", "--y", "output_tokens_per_s:max"}, work));
        assertTrue(typo.getMessage().contains("did you mean 'j_per_output_token'"), typo.getMessage());
    }

    @Test
    void correlateFindsTheBatchSizeEffect() throws Exception {
        sweep();
        ResultTables.Rows table = ResultsAnalysisCommand.correlate(new String[] {"--metric", "j_per_output_token"}, work);

        // batch 1, 2, 4, 8 against 80, 40, 20, 10 J/token. By hand: means 3.75 and 37.5;
        // sxy = -242.5, sxx = 28.75, syy = 2875, r = -242.5 / 287.5 = -0.843; rho = -1 (strictly decreasing).
        // SciPy pearsonr: p = 0.156522.
        List<String> row = table.rows().stream().filter(r -> r.get(0).equals("batching.batch_size")).findFirst().orElseThrow();
        assertEquals(List.of("batching.batch_size", "j_per_output_token", "4", "-0.843", "0.1565", "-1.000", "0.0000"), row);
        assertTrue(table.footer().stream().anyMatch(f -> f.startsWith("skipped name: not numeric")), table.footer().toString());
    }

    @Test
    void compareNamesTheDifferingKeysAndTheUnfairness() throws Exception {
        sweep();
        ResultTables.Rows table = ResultsAnalysisCommand.compare(new String[] {"batch-1", "batch-8"}, work);
        assertTrue(table.rows().stream().anyMatch(r -> r.get(0).equals("config batching.batch_size") && r.get(2).equals("1 | 8")),
                table.rows().toString());
        List<String> energy = table.rows().stream().filter(r -> r.get(0).equals("energy_j")).findFirst().orElseThrow();
        assertEquals("-87.5%", energy.get(3)); // 80 J against 640 J
        assertEquals("640.0 -> 80.00", energy.get(2));
        assertEquals("-", energy.get(7), "one cycle each: no test");
        assertTrue(table.footer().stream().anyMatch(f -> f.contains("batch-1 has 1 cycle(s): no t-test")), table.footer().toString());
        CommandFailure one = assertThrows(CommandFailure.class, () -> ResultsAnalysisCommand.compare(new String[] {"batch-1"}, work));
        assertTrue(one.getMessage().startsWith("usage: lem results compare"));
    }

    @Test
    void compareShowsTheCycleMeansAndTheWelchTestWithTwoCyclesEach() throws Exception {
        Path root = work.resolve("results");
        ExperimentFolders.experiment(root, "a", ExperimentFolders.config("a", 4, 32, "float16", 3), false,
                new Cycle(300, 2, 2, 32, 4, 100), new Cycle(310, 2, 2, 32, 4, 100), new Cycle(290, 2, 2, 32, 4, 100));
        ExperimentFolders.experiment(root, "b", ExperimentFolders.config("b", 4, 32, "float16", 3), false,
                new Cycle(250, 2, 2, 32, 4, 100), new Cycle(262, 2, 2, 32, 4, 100), new Cycle(244, 2, 2, 32, 4, 100));

        ResultTables.Rows table = ResultsAnalysisCommand.compare(new String[] {"a", "b"}, work);

        List<String> energy = table.rows().stream().filter(r -> r.get(0).equals("energy_j")).findFirst().orElseThrow();
        // cycle means 300 and 252; SciPy ttest_ind(equal_var=False): p = 0.00368, df 3.97, CI [-69.81, -26.19]
        assertEquals(List.of("energy_j", "J", "900.0 -> 756.0", "-16.0%", "300.0 -> 252.0", "-48.00", "[-69.81, -26.19]",
                "0.0037", "4.0"), energy);
        assertTrue(table.footer().stream().noneMatch(f -> f.startsWith("unfair:")), "same work, same method: " + table.footer());
    }
}
