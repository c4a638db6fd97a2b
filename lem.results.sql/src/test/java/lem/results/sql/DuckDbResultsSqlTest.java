package lem.results.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.api.energy.PowerSample;
import lem.runtime.results.ExperimentFolders;
import lem.runtime.results.ExperimentFolders.Cycle;
import lem.runtime.results.PowerSeriesFile;
import lem.runtime.results.SqlEngine;
import lem.runtime.results.TidyTable;
import lem.runtime.sql.ResultsSql;

/** The real DuckDB over a results folder that lem's own writers made. */
class DuckDbResultsSqlTest {
    @TempDir
    Path dir;

    final DuckDbResultsSql sql = new DuckDbResultsSql();
    Path root;
    ResultsSql.ResultsFolder folder;

    /**
     * Two experiments, batch size 4 and 8, two cycles each of 2 requests with 4 output tokens;
     * energies 300 + 500 J and 200 + 200 J; TTFT of request r in a cycle: ttft + 10 r ms from
     * arrival (all arrive at 0). One power series: two samples of GPU-0 at 100 and 300 W.
     */
    @BeforeEach
    void twoExperiments() throws Exception {
        SqlEngine.use(sql); // the Parquet twins are kept current as the experiments are written
        root = dir.resolve("results");
        ExperimentFolders.experiment(root, "b4", ExperimentFolders.config("b4", 4, 32, "float16", 2), false,
                new Cycle(300, 2, 2, 32, 4, 100), new Cycle(500, 2, 2, 32, 4, 200));
        Path b8 = ExperimentFolders.experiment(root, "b8", ExperimentFolders.config("b8", 8, 32, "float16", 2), false,
                new Cycle(200, 2, 2, 32, 4, 50), new Cycle(200, 2, 2, 32, 4, 60));
        Files.createDirectories(b8.resolve("timeseries"));
        try (PowerSeriesFile.Appender series = PowerSeriesFile.open(b8.resolve("timeseries/cycle_1_process_0.csv"), 0)) {
            series.append("nvml", new PowerSample("GPU-0", 1_000_000L, 100.0, Map.of(PowerSample.TEMPERATURE_CELSIUS, 40.0)));
            series.append("nvml", new PowerSample("GPU-0", 2_000_000L, 300.0, Map.of()));
        }
        folder = new ResultsSql.ResultsFolder(root, TidyTable.COLUMN_TYPES);
    }

    @AfterEach
    void noEngine() {
        SqlEngine.use(null);
    }

    @Test
    void aGroupByOverBatchSizeAnswersWithTypedColumns() {
        ResultsSql.QueryResult r = sql.query(folder,
                "SELECT batch_size, count(*) AS n, sum(energy_j) AS energy_j, avg(j_per_output_token) AS j_per_token "
                        + "FROM experiments GROUP BY batch_size ORDER BY batch_size");
        assertEquals(List.of("batch_size", "n", "energy_j", "j_per_token"), r.columns());
        assertEquals("BIGINT", r.types().get(0), "batch size is a number: " + r.types());
        assertEquals("DOUBLE", r.types().get(2));
        // 800 J over 16 output tokens = 50 J/token; 400 J over 16 = 25
        assertEquals(List.of(List.of("4", "1", "800", "50"), List.of("8", "1", "400", "25")), r.rows());
    }

    @Test
    void requestsAreOneRowPerRequestWithLatencyFromArrival() {
        ResultsSql.QueryResult count = sql.query(folder, "SELECT experiment_id, count(*) FROM requests GROUP BY 1 ORDER BY 1");
        assertEquals(List.of(List.of("b4", "4"), List.of("b8", "4")), count.rows()); // 2 cycles x 2 requests
        ResultsSql.QueryResult r = sql.query(folder,
                "SELECT cycle, request_index, request_id, ttft_ms, output_tokens, e2e_ms, failed FROM requests"
                        + " WHERE experiment_id = 'b4' ORDER BY cycle, request_index");
        // cycle 2, request 1: first token at 200 + 10 ms; last of 4 tokens 30 ms later
        assertEquals(List.of("2", "1", "c2-r1", "210", "4", "240", "false"), r.rows().get(3));
        assertEquals(List.of("1", "0", "c1-r0", "100", "4", "130", "false"), r.rows().get(0));
    }

    @Test
    void powerSamplesCarryTheExperimentCycleAndProcessFromTheirPath() {
        ResultsSql.QueryResult r = sql.query(folder,
                "SELECT experiment_id, cycle, process, device, avg(power_watts), count(*), max(temperature_c)"
                        + " FROM power GROUP BY ALL");
        assertEquals(List.of(List.of("b8", "1", "0", "GPU-0", "200", "2", "40")), r.rows());
    }

    @Test
    void theParquetTwinIsKeptCurrentAndReadsBackTyped() throws Exception {
        Path parquet = root.resolve(TidyTable.EXPERIMENTS_PARQUET);
        assertTrue(Files.isRegularFile(parquet), "written with the CSV when the engine is there");
        assertTrue(Files.isRegularFile(root.resolve(TidyTable.CYCLES_PARQUET)));
        ResultsSql.QueryResult r = sql.query(folder, "SELECT experiment_id, model_name, precision, typeof(batch_size),"
                + " typeof(energy_j), energy_j, typeof(traffic_rate_qps) FROM read_parquet('" + parquet + "') ORDER BY 1");
        assertEquals(List.of(List.of("b4", "llama-tiny", "float16", "BIGINT", "DOUBLE", "800", "DOUBLE"),
                List.of("b8", "llama-tiny", "float16", "BIGINT", "DOUBLE", "400", "DOUBLE")), r.rows());
        ResultsSql.QueryResult cycles = sql.query(folder, "SELECT count(*), typeof(min(cycle)) FROM read_parquet('"
                + root.resolve(TidyTable.CYCLES_PARQUET) + "')");
        assertEquals(List.of(List.of("4", "BIGINT")), cycles.rows());
    }

    @Test
    void aMistakeGivesDuckDbsMessageAndTheViews() {
        ResultsSql.SqlFailure e = assertThrows(ResultsSql.SqlFailure.class,
                () -> sql.query(folder, "SELECT batch_sise FROM experiments"));
        assertTrue(e.getMessage().contains("batch_sise"), e.getMessage());
        assertTrue(e.getMessage().contains("views: experiments, cycles, requests, power"), e.getMessage());
        assertFalse(e.getMessage().contains("\tat "), "no stack trace: " + e.getMessage());
    }

    @Test
    void aQueryToCsvWritesItsRowsWithAHeader() throws Exception {
        Path out = dir.resolve("out/by_batch.csv");
        long rows = sql.queryToCsv(folder, "SELECT batch_size, energy_j FROM experiments ORDER BY batch_size;", out);
        assertEquals(2, rows);
        assertEquals(List.of("batch_size,energy_j", "4,800.0", "8,400.0"), Files.readAllLines(out, StandardCharsets.UTF_8));
    }

    @Test
    void theSchemaListsEveryViewWithItsColumns() {
        List<ResultsSql.View> views = sql.schema(folder);
        assertEquals(ResultsSql.VIEWS, views.stream().map(ResultsSql.View::name).toList());
        assertTrue(views.get(0).columns().contains(new ResultsSql.Column("batch_size", "BIGINT")), views.get(0).columns().toString());
        assertTrue(views.get(2).columns().contains(new ResultsSql.Column("ttft_ms", "DOUBLE")), views.get(2).columns().toString());
        assertTrue(views.get(3).columns().contains(new ResultsSql.Column("power_watts", "DOUBLE")), views.get(3).columns().toString());
    }

    @Test
    void anEmptyFolderHasEmptyViews() throws Exception {
        ResultsSql.ResultsFolder empty = new ResultsSql.ResultsFolder(Files.createDirectories(dir.resolve("none")), Map.of());
        assertEquals(List.of(List.of("0", "0", "0", "0")), sql.query(empty,
                "SELECT (SELECT count(*) FROM experiments), (SELECT count(*) FROM cycles), (SELECT count(*) FROM requests),"
                        + " (SELECT count(*) FROM power)").rows());
    }
}
