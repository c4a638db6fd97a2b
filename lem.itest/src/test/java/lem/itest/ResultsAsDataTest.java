package lem.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Results as data in the framework: a run leaves the tidy table in the results folder, and
 * {@code lem:results export | compare | pareto | correlate} read it back through the shell.
 */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class ResultsAsDataTest {
    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 10_000)
    CommandProcessor processor;

    @Test
    void aRunLeavesTheTidyTableAndTheResultsCommandsReadIt(TestInfo test) throws Exception {
        try (ExperimentRuns runs = new ExperimentRuns(context, test.getTestMethod().orElseThrow().getName(),
                ExperimentRuns.pacedBackend())) {
            runAndRead(runs);
        }
    }

    /**
     * A campaign over batch size 1 and 2 run in the shell, then SQL through the lem.results.sql
     * bundle (DuckDB in this framework): a GROUP BY over batch size, the requests view, the
     * Parquet twin of the tidy table, and a mistake answered with DuckDB's message.
     */
    @Test
    void aSweepIsAnsweredBySqlThroughTheDuckDbBundle(TestInfo test) throws Exception {
        try (ExperimentRuns runs = new ExperimentRuns(context, test.getTestMethod().orElseThrow().getName(),
                ExperimentRuns.pacedBackend())) {
            Shell shell = new Shell(processor);
            runs.write("exp.yaml", runs.config(1));
            Path campaign = runs.write("campaign.yaml", """
                    name: itest-sql
                    base: exp.yaml
                    grid:
                      batching.batch_size: [1, 2]
                    cycles: 1
                    output_dir: %s
                    """.formatted(runs.resultsRoot));
            Shell.Outcome run = shell.execute("lem:campaign run " + campaign);
            assertFalse(run.failed(), run.transcript());
            String root = runs.resultsRoot.toString();

            String grouped = shell.run("lem:results query \"SELECT campaign_name, varied_batching_batch_size AS varied, batch_size,"
                    + " count(*) AS n, sum(requests) AS reqs, avg(j_per_output_token) > 0 AS has_energy FROM experiments"
                    + " GROUP BY ALL ORDER BY batch_size\" --dir " + root);
            assertTrue(Pattern.compile("itest-sql\\s+1\\s+1\\s+1\\s+" + ExperimentRuns.REQUESTS_PER_CYCLE + "\\s+true")
                    .matcher(grouped).find(), grouped);
            assertTrue(Pattern.compile("itest-sql\\s+2\\s+2\\s+1\\s+" + ExperimentRuns.REQUESTS_PER_CYCLE + "\\s+true")
                    .matcher(grouped).find(), grouped);
            assertTrue(grouped.contains("2 row(s)"), grouped);

            String requests = shell.run("lem:results query \"SELECT count(*) AS n, min(ttft_ms) > 0 AS timed FROM requests\" --dir "
                    + root);
            assertTrue(Pattern.compile("\\s" + 2 * ExperimentRuns.REQUESTS_PER_CYCLE + "\\s+true").matcher(requests).find(), requests);

            Path parquet = runs.resultsRoot.resolve("experiments_tidy.parquet");
            assertTrue(Files.isRegularFile(parquet), "kept next to the CSV while the bundle is there");
            String typed = shell.run("lem:results query \"SELECT typeof(batch_size) AS t, count(*) AS n FROM '" + parquet
                    + "' GROUP BY 1\" --dir " + root);
            assertTrue(Pattern.compile("BIGINT\\s+2").matcher(typed).find(), typed);

            Shell.Outcome bad = shell.execute("lem:results query \"SELECT batch_sise FROM experiments\" --dir " + root);
            assertTrue(bad.failed(), bad.transcript());
            assertTrue(bad.failure().getMessage().contains("batch_sise")
                    && bad.failure().getMessage().contains("views: experiments, cycles, requests, power"), bad.transcript());
        }
    }

    private void runAndRead(ExperimentRuns runs) throws Exception {
        Shell shell = new Shell(processor);
        Path experiment = runs.runThrough(shell, 2);
        String id = experiment.getFileName().toString();
        String root = runs.resultsRoot.toString();

        Path tidy = runs.resultsRoot.resolve("experiments_tidy.csv");
        List<String> lines = Files.readAllLines(tidy, StandardCharsets.UTF_8);
        assertEquals(2, lines.size(), "header and the experiment: " + lines);
        assertFalse(lines.get(1).contains("\""), "no cell here needs quotes: " + lines.get(1));
        List<String> header = List.of(lines.get(0).split(",", -1));
        List<String> row = List.of(lines.get(1).split(",", -1));
        assertEquals(header.size(), row.size());
        JsonNode overall = ExperimentRuns.json(experiment.resolve("result.json")).path("overall");
        assertEquals(id, row.get(header.indexOf("experiment_id")));
        assertEquals("complete", row.get(header.indexOf("status")));
        assertEquals("paced-tiny", row.get(header.indexOf("model_name")));
        assertEquals(ExperimentRuns.BACKEND, row.get(header.indexOf("backend_name")));
        assertEquals("1", row.get(header.indexOf("batch_size")));
        assertEquals(overall.path("energy").path("raw_joules").asDouble(), Double.parseDouble(row.get(header.indexOf("energy_j"))),
                1e-9);
        assertEquals(overall.path("joules_per_output_token").asDouble(),
                Double.parseDouble(row.get(header.indexOf("j_per_output_token"))), 1e-12);
        assertFalse(row.get(header.indexOf("j_per_output_token_cycle_mean_ci95_low")).isEmpty(), "two cycles: an interval");

        String exported = shell.run("lem:results export --dir " + root);
        assertTrue(exported.startsWith(lines.get(0)) && exported.contains(lines.get(1)), exported);

        String pareto = shell.run("lem:results pareto --x j_per_output_token:min --y output_tokens_per_s:max --dir " + root);
        assertTrue(Pattern.compile("front\\s+" + Pattern.quote(id)).matcher(pareto).find(), pareto);

        // the same experiment against itself: nothing differs, and Welch's test finds no difference (p = 1)
        String compared = shell.run("lem:results compare " + id + " " + id + " --dir " + root);
        assertTrue(compared.contains("no config key differs"), compared);
        assertTrue(Pattern.compile("energy_j\\s+J\\s.*\\s1\\.0000\\s").matcher(compared).find(), compared);

        String correlated = shell.run("lem:results correlate --dir " + root);
        assertTrue(correlated.contains("no numeric config key varies"), correlated);
    }
}
