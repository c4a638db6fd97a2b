package lem.runtime.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.results.sql.DuckDbResultsSql;
import lem.runtime.results.ExperimentFolders;
import lem.runtime.results.ExperimentFolders.Cycle;
import lem.runtime.results.SqlEngine;
import lem.runtime.sql.ResultsSql;

/**
 * {@code lem results query} and {@code lem results export --format parquet} as the shell runs them
 * (the runtime's command code, in its own package), with the real DuckDB engine behind them.
 */
class QueryCommandTest {
    @TempDir
    Path work;

    final DuckDbResultsSql engine = new DuckDbResultsSql();

    /** Batch sizes 1, 2, 4, 8, one cycle each: batch b spends 640 / b J on 8 output tokens. */
    @BeforeEach
    void sweep() throws Exception {
        SqlEngine.use(engine);
        Path root = work.resolve("results");
        for (int batch : new int[] {1, 2, 4, 8}) {
            ExperimentFolders.experiment(root, "batch-" + batch, ExperimentFolders.config("batch-" + batch, batch, 32, "float16", 1),
                    false, new Cycle(640.0 / batch, 2, 2, 32, 4, 100));
        }
    }

    @AfterEach
    void noEngine() {
        SqlEngine.use(null);
    }

    @Test
    void aGroupByOverBatchSizeIsPrintedAsATable() {
        ResultTables.Rows rows = (ResultTables.Rows) ResultsAnalysisCommand.run("query", new String[] {
                "SELECT batch_size, avg(j_per_output_token) AS j_per_token FROM experiments GROUP BY batch_size ORDER BY 1"}, work);
        assertEquals(List.of("batch_size", "j_per_token"), rows.headers());
        assertEquals(List.of(List.of("1", "80.00"), List.of("2", "40.00"), List.of("4", "20.00"), List.of("8", "10.00")),
                rows.rows());
        String printed = TableFormat.render(rows);
        assertTrue(printed.contains("j_per_token") && printed.contains("80.00"), printed);
    }

    @Test
    void floatingPointColumnsAreShownInTheConsolesFormatAndWrittenInFull() throws Exception {
        String sql = "SELECT batch_size, j_per_output_token / 3 AS third, batch_size * 1000000.0 / 7 AS big FROM experiments"
                + " ORDER BY batch_size";
        ResultTables.Rows rows = (ResultTables.Rows) ResultsAnalysisCommand.run("query", new String[] {sql}, work);
        // 80/3 .. 10/3 share two decimals; 1e6/7 .. 8e6/7 stay plain below 1e7 with the largest's decimals
        assertEquals(List.of("1", "26.67", "142857"), rows.rows().get(0));
        assertEquals(List.of("8", "3.33", "1142857"), rows.rows().get(3));
        ResultsAnalysisCommand.run("query", new String[] {sql, "--csv", "out/full.csv"}, work);
        assertEquals("1,26.666666666666668,142857.14285714287", Files.readAllLines(work.resolve("out/full.csv")).get(1));
    }

    @Test
    void csvOutAndTheSchema() throws Exception {
        Object written = ResultsAnalysisCommand.run("query", new String[] {
                "SELECT experiment_id, count(*) AS requests FROM requests GROUP BY 1 ORDER BY 1", "--csv", "out/q.csv"}, work);
        assertTrue(written.toString().startsWith("wrote 4 row(s) to "), written.toString());
        assertEquals(List.of("experiment_id,requests", "batch-1,2", "batch-2,2", "batch-4,2", "batch-8,2"),
                Files.readAllLines(work.resolve("out/q.csv")));

        ResultTables.Rows schema = (ResultTables.Rows) ResultsAnalysisCommand.run("query", new String[] {"--schema"}, work);
        assertTrue(schema.rows().contains(List.of("experiments", "batch_size", "BIGINT")), schema.rows().toString());
        assertTrue(schema.rows().contains(List.of("requests", "ttft_ms", "DOUBLE")), schema.rows().toString());
        assertEquals(ResultsSql.VIEWS, schema.rows().stream().map(r -> r.get(0)).distinct().toList());
    }

    @Test
    void aFolderWithNoExperimentYetAnswersWithNoRows() throws Exception {
        Files.createDirectories(work.resolve("empty"));
        ResultTables.Rows rows = (ResultTables.Rows) ResultsAnalysisCommand.run("query", new String[] {
                "SELECT count(*) AS n, (SELECT count(*) FROM requests) AS r FROM experiments", "--dir", "empty"}, work);
        assertEquals(List.of(List.of("0", "0")), rows.rows());
        assertTrue(Files.isRegularFile(work.resolve("empty/experiments_tidy.csv")), "the header-only tidy files are written");
        assertTrue(Files.isRegularFile(work.resolve("empty/experiments_tidy.parquet")));
    }

    @Test
    void aSqlMistakeIsDuckDbsMessageWithTheViewsAndNoStackTrace() {
        CommandFailure e = assertThrows(CommandFailure.class,
                () -> ResultsAnalysisCommand.run("query", new String[] {"SELECT * FROM experiment"}, work));
        assertTrue(e.getMessage().startsWith("lem results query: Catalog Error"), e.getMessage());
        assertTrue(e.getMessage().contains("experiment") && e.getMessage().contains("views: experiments, cycles, requests, power"),
                e.getMessage());
        assertFalse(e.getMessage().contains("at org.duckdb"), e.getMessage());
    }

    @Test
    void exportAsParquetReadsBackWithConfigColumnsTyped() {
        Object written = ResultsAnalysisCommand.run("export", new String[] {"--format", "parquet", "--out", "out/t.parquet"}, work);
        assertTrue(written.toString().contains("4 experiment row(s)") && written.toString().endsWith("(Parquet)"), written.toString());
        Path file = work.resolve("out/t.parquet");
        ResultsSql.QueryResult r = engine.query(new ResultsSql.ResultsFolder(work.resolve("results"), java.util.Map.of()),
                "SELECT batch_size, precision, model_name, j_per_output_token FROM '" + file + "' ORDER BY batch_size");
        assertEquals(List.of("BIGINT", "VARCHAR", "VARCHAR", "DOUBLE"), r.types());
        assertEquals(List.of("8", "float16", "llama-tiny", "10"), r.rows().get(3));

        ResultsAnalysisCommand.run("export", new String[] {"--format", "parquet", "--per-cycle", "--out", "out/c.parquet"}, work);
        ResultsSql.QueryResult cycles = engine.query(new ResultsSql.ResultsFolder(work.resolve("results"), java.util.Map.of()),
                "SELECT count(*), min(cycle) FROM '" + work.resolve("out/c.parquet") + "'");
        assertEquals(List.of(List.of("4", "1")), cycles.rows());
    }
}
