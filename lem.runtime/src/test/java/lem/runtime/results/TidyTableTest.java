package lem.runtime.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.runtime.campaign.CampaignFolder;
import lem.runtime.campaign.CampaignPlan;
import lem.runtime.campaign.FailurePolicy;
import lem.runtime.campaign.Ordering;
import lem.runtime.campaign.PlannedRun;
import lem.runtime.campaign.RunRecord;
import lem.runtime.results.ExperimentFolders.Cycle;

class TidyTableTest {
    @TempDir
    Path dir;

    /** The rows of a CSV file as maps from column to cell, checking every row has every column. */
    static List<Map<String, String>> rows(String csv) {
        List<String> records = CsvText.records(csv);
        List<String> header = CsvText.split(records.get(0));
        List<Map<String, String>> rows = new ArrayList<>();
        for (String record : records.subList(1, records.size())) {
            List<String> cells = CsvText.split(record);
            assertEquals(header.size(), cells.size(), "every row has every column: " + record);
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.size(); i++) {
                row.put(header.get(i), cells.get(i));
            }
            rows.add(row);
        }
        return rows;
    }

    private static double number(Map<String, String> row, String column) {
        assertTrue(row.containsKey(column), "column " + column + " in " + row.keySet());
        return Double.parseDouble(row.get(column));
    }

    /**
     * Two cycles of 2 requests, 4 output tokens each, 2 s windows. Cycle 1: 300 J, TTFTs 100 and
     * 110 ms; cycle 2: 500 J, TTFTs 200 and 210 ms.
     */
    private Path twoCycles(Path root, String id) throws Exception {
        return ExperimentFolders.experiment(root, id, ExperimentFolders.config(id, 4, 32, "float16", 2), false,
                new Cycle(300, 2, 2, 32, 4, 100), new Cycle(500, 2, 2, 32, 4, 200));
    }

    @Test
    void anSqlEngineThatCannotEvenLoadLeavesTheCsvTablesAndTheRunAlone() throws Exception {
        // DuckDB's natives missing for this platform surface as a LinkageError, not an exception
        lem.runtime.sql.ResultsSql broken = (lem.runtime.sql.ResultsSql) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {lem.runtime.sql.ResultsSql.class}, (proxy, method, args) -> {
                    throw new NoClassDefFoundError("org/duckdb/DuckDBDriver");
                });
        Path root = dir.resolve("results");
        Files.createDirectories(root);
        Files.writeString(root.resolve(TidyTable.EXPERIMENTS_PARQUET), "stale");
        SqlEngine.use(broken);
        try {
            twoCycles(root, "fp16-b4");
        } finally {
            SqlEngine.use(null);
        }
        assertTrue(Files.readString(root.resolve(TidyTable.EXPERIMENTS_FILE)).contains("fp16-b4"), "the CSV table is current");
        assertFalse(Files.exists(root.resolve(TidyTable.EXPERIMENTS_PARQUET)), "a stale Parquet twin is removed, not kept");
    }

    @Test
    void theTidyFileHasTheConfigAsColumnsAndEveryMetricWithItsUnit() throws Exception {
        Path root = dir.resolve("results");
        Path experiment = twoCycles(root, "fp16-b4");

        Path tidy = root.resolve(TidyTable.EXPERIMENTS_FILE);
        assertTrue(Files.isRegularFile(tidy), "written when the experiment completed");
        Map<String, String> row = rows(Files.readString(tidy, StandardCharsets.UTF_8)).get(0);

        assertEquals("fp16-b4", row.get("experiment_id"));
        assertEquals("complete", row.get("status"));
        assertEquals("llama-tiny", row.get("model_name"));
        assertEquals("synthetic", row.get("model_source"));
        assertEquals("gpt2", row.get("model_architecture")); // from result.json's model (the raw files' fixture)
        assertEquals("124000000", row.get("model_parameters"));
        assertEquals("djl", row.get("backend_name"));
        assertEquals("PyTorch 2.5.1", row.get("backend_engine"));
        assertEquals("0.1.0", row.get("backend_version"));
        assertEquals("cuda", row.get("device"));
        assertEquals("NVIDIA H200", row.get("gpu_name"));
        assertEquals("float16", row.get("precision"));
        assertEquals("none", row.get("quantisation"));
        assertEquals("static", row.get("batching_strategy"));
        assertEquals("4", row.get("batch_size"));
        assertEquals("poisson", row.get("traffic_pattern"));
        assertEquals(2.5, number(row, "traffic_rate_qps"));
        assertEquals("32", row.get("prompt_input_tokens"));
        assertEquals("4", row.get("max_new_tokens"));
        assertEquals("deterministic", row.get("decoder_preset"));
        assertEquals("2", row.get("cycles"));
        assertEquals("2", row.get("cycles_measured"));
        assertEquals("nvml", row.get("energy_sources"));
        assertEquals("false", row.get("energy_includes_estimates"));

        assertEquals(4, number(row, "requests"));
        assertEquals(16, number(row, "output_tokens"));
        assertEquals(32, number(row, "mean_input_tokens_per_request"));
        assertEquals(4, number(row, "window_s"));
        assertEquals(800, number(row, "energy_j"), 1e-9); // 300 + 500
        assertEquals(4, number(row, "output_tokens_per_s"), 1e-9); // 16 tokens / 4 s
        assertEquals(50, number(row, "j_per_output_token"), 1e-9); // 800 J / 16
        assertEquals(0.02, number(row, "output_tokens_per_j"), 1e-12);
        assertEquals(155, number(row, "ttft_mean_ms"), 1e-9); // (100 + 110 + 200 + 210) / 4
        // sorted 100, 110, 200, 210: position 3 x 0.99 = 2.97, so 200 + 0.97 x 10
        assertEquals(209.7, number(row, "ttft_p99_ms"), 1e-9);
        assertEquals(185, number(row, "e2e_mean_ms"), 1e-9); // each request ends 30 ms after its first token

        // per cycle 300/8 = 37.5 and 500/8 = 62.5 J/token: mean 50, sd 12.5 sqrt 2 = 17.678,
        // 95% CI 50 -+ t(0.975, 1) 12.5 with t = 12.706 from the published t table
        assertEquals(50, number(row, "j_per_output_token_cycle_mean"), 1e-9);
        assertEquals(17.678, number(row, "j_per_output_token_cycle_sd"), 1e-3);
        assertEquals(50 - 12.706 * 12.5, number(row, "j_per_output_token_cycle_mean_ci95_low"), 0.01);
        assertEquals(50 + 12.706 * 12.5, number(row, "j_per_output_token_cycle_mean_ci95_high"), 0.01);
        assertEquals(2, number(row, "j_per_output_token_cycles_n"));
        assertEquals(Integer.parseInt(row.get("warnings_count")),
                ResultsJson.read(experiment.resolve("result.json"), AggregatedResult.class).warnings().size());
        assertEquals("", row.get("co2_g"), "no emissions.csv: no CO2");

        for (String column : TidyTable.experimentHeader()) {
            assertTrue(column.matches("[a-z0-9_]+"), "plain snake_case names that every tool reads: " + column);
        }
    }

    @Test
    void co2ComesFromEmissionsCsvInGramsAndEachCycleHasItsRow() throws Exception {
        Path root = dir.resolve("results");
        Path experiment = twoCycles(root, "with-co2");
        // CodeCarbon's columns: emissions in kg, energy_consumed in kWh; one row per cycle
        Files.writeString(experiment.resolve("emissions.csv"), """
                timestamp,experiment_id,duration,emissions,energy_consumed,country_iso_code
                2026-11-29T22:36:56Z,with-co2,2,0.001,0.01,FRA
                2026-11-29T22:37:30Z,with-co2,2,0.002,0.02,FRA
                """);
        TidyTable.refresh(root, "with-co2");

        Map<String, String> row = rows(Files.readString(root.resolve(TidyTable.EXPERIMENTS_FILE))).get(0);
        assertEquals(3, number(row, "co2_g"), 1e-9); // (0.001 + 0.002) kg
        assertEquals(100, number(row, "carbon_intensity_g_per_kwh"), 1e-9); // 3 g / 0.03 kWh

        List<Map<String, String>> cycles = rows(Files.readString(root.resolve(TidyTable.CYCLES_FILE)));
        assertEquals(2, cycles.size());
        assertEquals("1", cycles.get(0).get("cycle"));
        assertEquals(300, number(cycles.get(0), "energy_j"), 1e-9);
        assertEquals(37.5, number(cycles.get(0), "j_per_output_token"), 1e-9);
        assertEquals(105, number(cycles.get(0), "ttft_mean_ms"), 1e-9);
        assertEquals(1, number(cycles.get(0), "co2_g"), 1e-9);
        assertEquals("2", cycles.get(1).get("cycle"));
        assertEquals(500, number(cycles.get(1), "energy_j"), 1e-9);
        assertEquals(2, number(cycles.get(1), "co2_g"), 1e-9);
        assertEquals("4", cycles.get(1).get("batch_size"), "each cycle row carries its experiment's config");
    }

    @Test
    void anExperimentMadeByACampaignHasItsCampaignAndVariedValues() throws Exception {
        Path root = dir.resolve("results");
        twoCycles(root, "b1");
        twoCycles(root, "b4");
        twoCycles(root, "single"); // made by lem run, not by the campaign
        var experiments = List.of(
                new CampaignPlan.PlannedExperiment(0, "sweep-b=1", "sweep.yaml", Map.of("batching.batch_size", "1", "precision", "float16"), "f0"),
                new CampaignPlan.PlannedExperiment(1, "sweep-b=4", "sweep.yaml", Map.of("batching.batch_size", "4", "precision", "float16"), "f1"));
        var runs = List.of(new PlannedRun(0, 1, 1), new PlannedRun(1, 0, 1), new PlannedRun(2, 1, 2));
        CampaignFolder folder = CampaignFolder.create(root, new CampaignPlan(CampaignPlan.SCHEMA_VERSION, "sweep-20261130T000000Z",
                "sweep", "/tmp/sweep.yaml", 0, 2, Ordering.INTERLEAVED, 7, false, 0, null, FailurePolicy.CONTINUE, experiments, runs));
        // run 0 made b4 (experiment 1, cycle 1), run 1 made b1; run 2 never finished
        folder.write(new RunRecord(0, "sweep-b=4", 1, RunRecord.State.COMPLETE, "b4", root.resolve("b4").toString(), null, 0, 1, 2,
                List.of(), null));
        folder.write(new RunRecord(1, "sweep-b=1", 1, RunRecord.State.COMPLETE, "b1", root.resolve("b1").toString(), null, 0, 3, 4,
                List.of(), null));
        folder.write(new RunRecord(2, "sweep-b=4", 2, RunRecord.State.RUNNING, null, null, null, 0, 5, 0, List.of(), null));
        TidyTable.refresh(root, "b1");

        List<Map<String, String>> rows = rows(Files.readString(root.resolve(TidyTable.EXPERIMENTS_FILE)));
        assertEquals(List.of("b1", "b4", "single"), rows.stream().map(r -> r.get("experiment_id")).toList());
        Map<String, String> b4 = rows.get(1);
        List<String> campaignColumns = List.of("campaign_id", "campaign_name", "campaign_cycle", "varied_batching_batch_size",
                "varied_precision");
        assertEquals(List.of("sweep-20261130T000000Z", "sweep", "1", "4", "float16"), campaignColumns.stream().map(b4::get).toList());
        assertEquals("1", rows.get(0).get("varied_batching_batch_size"));
        Map<String, String> single = rows.get(2);
        assertEquals(List.of("", "", "", "", ""), campaignColumns.stream().map(single::get).toList(),
                "every row has every column, empty for an experiment no campaign made");
        List<Map<String, String>> cycles = rows(Files.readString(root.resolve(TidyTable.CYCLES_FILE)));
        assertEquals("4", cycles.get(2).get("varied_batching_batch_size"), "b4's first cycle row");
        assertEquals("varied_batching_batch_size", TidyTable.variedColumn("batching.batch_size"));
        assertEquals("varied_traffic_target_qps", TidyTable.variedColumn("traffic.targetQps"));
    }

    @Test
    void theFileKeepsEveryExperimentAndShowsOneThatStoppedBeforeAggregation() throws Exception {
        Path root = dir.resolve("results");
        twoCycles(root, "first");
        ResultsDirectory stopped = ResultsDirectory.create(root, "stopped", "stopped early");
        twoCycles(root, "second");

        List<Map<String, String>> rows = rows(Files.readString(root.resolve(TidyTable.EXPERIMENTS_FILE)));
        // a run gets its row when it starts, so a run in progress is in the table too
        assertEquals(List.of("first", "second", "stopped"), rows.stream().map(r -> r.get("experiment_id")).toList());
        assertEquals("running", rows.get(2).get("status"));

        stopped.markIncomplete("stopped by the user");
        rows = rows(Files.readString(root.resolve(TidyTable.EXPERIMENTS_FILE)));
        assertEquals(List.of("first", "second", "stopped"), rows.stream().map(r -> r.get("experiment_id")).toList(),
                "a change of state puts the experiment in, in id order");
        assertEquals("incomplete", rows.get(2).get("status"));
        assertEquals("stopped by the user", rows.get(2).get("reason"));
        assertEquals("", rows.get(2).get("energy_j"), "never aggregated: no metrics");
        assertEquals(800, number(rows.get(1), "energy_j"), 1e-9);
    }

    @Test
    void anotherExperimentsRowIsKeptAndAFileFromAnotherVersionIsRebuilt() throws Exception {
        Path root = dir.resolve("results");
        Path first = twoCycles(root, "first");
        // first's result.json is replaced behind lem's back: its row stays as written when it completed
        Files.writeString(first.resolve("result.json"), "{}");
        twoCycles(root, "second");
        List<Map<String, String>> rows = rows(Files.readString(root.resolve(TidyTable.EXPERIMENTS_FILE)));
        assertEquals(List.of("first", "second"), rows.stream().map(r -> r.get("experiment_id")).toList());
        assertEquals(800, number(rows.get(0), "energy_j"), 1e-9);
        assertEquals(4, rows(Files.readString(root.resolve(TidyTable.CYCLES_FILE))).size(), "two cycles each");

        // a header of another version: every experiment is read again
        Files.writeString(root.resolve(TidyTable.EXPERIMENTS_FILE), "experiment_id,energy_j\nfirst,1\n");
        twoCycles(root, "third");
        rows = rows(Files.readString(root.resolve(TidyTable.EXPERIMENTS_FILE)));
        assertEquals(List.of("first", "second", "third"), rows.stream().map(r -> r.get("experiment_id")).toList());
        assertEquals("", rows.get(0).get("energy_j"), "first read again: its result.json has no metrics now");
        assertEquals(TidyTable.experimentHeader().size(), rows.get(0).size());
    }

    @Test
    void theGeometricMeanColumnsReadWhatResultJsonHolds() throws Exception {
        Path root = dir.resolve("results");
        Path experiment = twoCycles(root, "geo");
        // a result.json with the geometric mean and its log-scale interval for J per output token
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) ResultsJson.mapper().readTree(experiment.resolve("result.json").toFile());
        for (var statistic : tree.withArray("statistics")) {
            if (statistic.get("metric").asText().equals("j_per_output_token")) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) statistic).put("geometric_mean", 48.41)
                        .put("log_ci_low", 1.5).put("log_ci_high", 1500.25);
            }
        }
        ResultsJson.writeAtomically(experiment.resolve("result.json"), tree);
        TidyTable.refresh(root, "geo");

        Map<String, String> row = rows(Files.readString(root.resolve(TidyTable.EXPERIMENTS_FILE))).get(0);
        assertEquals("48.41", row.get("j_per_output_token_cycle_geomean"));
        assertEquals("1.5", row.get("j_per_output_token_cycle_geomean_ci95_low"));
        assertEquals("1500.25", row.get("j_per_output_token_cycle_geomean_ci95_high"));
        double energyGeomean = 0;
        for (var statistic : tree.withArray("statistics")) {
            if (statistic.get("metric").asText().equals("energy_raw_j")) {
                energyGeomean = statistic.get("geometric_mean").asDouble();
            }
        }
        assertEquals(energyGeomean, Double.parseDouble(row.get("energy_j_cycle_geomean")), 1e-9,
                "the aggregate's own geometric mean where the test left result.json as written");
    }
}
