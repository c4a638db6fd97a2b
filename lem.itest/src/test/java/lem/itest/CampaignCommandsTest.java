package lem.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.osgi.framework.BundleContext;

/**
 * {@code lem:campaign} and {@code lem:sweep} typed in the shell: a 2 x 2 grid over two campaign
 * cycles, interleaved, run by the experiment runner on the paced backend; its table; a resume
 * that runs only the missing run; problems of expanded configs reported before anything runs.
 */
class CampaignCommandsTest extends ShellRunTest {
    private static final List<String> EXPERIMENTS = List.of("itest-e2e-batching.batch_size=1-prompts.count=2",
            "itest-e2e-batching.batch_size=1-prompts.count=3", "itest-e2e-batching.batch_size=2-prompts.count=2",
            "itest-e2e-batching.batch_size=2-prompts.count=3");


    private Path campaign(TestInfo test, String grid) throws Exception {
        runs(test, ExperimentRuns.pacedBackend());
        runs.write("exp.yaml", runs.config(1));
        return runs.write("campaign.yaml", """
                name: itest-grid
                base: exp.yaml
                grid:
                %s
                cycles: 2
                order: interleaved
                output_dir: %s
                """.formatted(grid, runs.resultsRoot));
    }

    private static final String GRID = "  batching.batch_size: [1, 2]\n  prompts.count: [2, 3]";

    private List<Path> experimentFolders() throws Exception {
        try (Stream<Path> children = Files.list(runs.resultsRoot)) {
            return children.filter(p -> Files.isRegularFile(p.resolve("status.json"))).toList();
        }
    }

    @Test
    void aGridCampaignRunsEveryExperimentEachCycleAndPrintsTheTableAndAResumeRunsOnlyWhatIsMissing(TestInfo test)
            throws Exception {
        Path file = campaign(test, GRID);
        Shell shell = new Shell(processor);

        Shell.Outcome dry = shell.execute("lem:campaign run " + file + " --dry-run");
        assertFalse(dry.failed(), dry.transcript());
        for (String name : EXPERIMENTS) {
            assertTrue(dry.out().contains(name), dry.transcript());
        }
        assertTrue(dry.out().contains("8 runs: 4 experiment(s) x 2 campaign cycle(s), interleaved"), dry.transcript());
        assertFalse(Files.exists(runs.resultsRoot), "a dry run writes nothing");

        Shell.Outcome run = shell.execute("lem:campaign run " + file);
        assertFalse(run.failed(), run.transcript());
        assertEquals(8, experimentFolders().size(), run.transcript());
        List<String> tableRows = Stream.of(run.out().split("\\R")).filter(l -> l.startsWith("itest-e2e-")).toList();
        assertEquals(4, tableRows.size(), run.transcript());
        for (int i = 0; i < 4; i++) {
            String row = tableRows.get(i);
            assertTrue(row.startsWith(EXPERIMENTS.get(i) + "  "), row);
            assertTrue(row.contains(" 2/2 "), "both campaign cycles complete: " + row);
            assertTrue(row.matches(".* [0-9.]+ \\[[0-9.-]+, [0-9.]+\\].*"), "mean [95% CI]: " + row);
        }
        assertTrue(run.out().contains(": complete"), run.transcript());

        Path campaigns = runs.resultsRoot.resolve("campaigns");
        String id;
        try (Stream<Path> children = Files.list(campaigns)) {
            id = children.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("itest-grid-")).findFirst().orElseThrow();
        }
        // kill -9 during the last run: its record says running and nothing came of it
        Path lastRecord = campaigns.resolve(id).resolve("runs/run_7.json");
        String record = Files.readString(lastRecord);
        Files.writeString(lastRecord, record.replace("\"COMPLETE\"", "\"RUNNING\""));

        Shell.Outcome shown = shell.execute("lem:campaign show " + id.substring(0, 12) + " --dir " + runs.resultsRoot);
        assertFalse(shown.failed(), shown.transcript());
        assertTrue(shown.out().contains("7/8 runs complete, 1 running"), shown.transcript());

        Shell.Outcome resumed = shell.execute("lem:campaign resume " + id + " --dir " + runs.resultsRoot);
        assertFalse(resumed.failed(), resumed.transcript());
        assertTrue(resumed.out().contains("1 of 8 runs to do"), resumed.transcript());
        assertEquals(9, experimentFolders().size(), "only the killed run ran again");
        assertTrue(resumed.out().contains("[campaign 1/1] run 7: " + EXPERIMENTS.get(3) + ", campaign cycle 2"),
                resumed.transcript());
    }

    @Test
    void everyProblemOfTheExpandedConfigsIsReportedBeforeAnythingRuns(TestInfo test) throws Exception {
        Path file = campaign(test, "  backend.name: [itest-paced, itest-pacd]\n  precision: [float32, float17]");
        Shell.Outcome run = new Shell(processor).execute("lem:campaign run " + file);
        assertTrue(run.failed(), run.transcript());
        assertTrue(run.err().contains(file + ":4: backend.name: no registered backend is named 'itest-pacd'; did you mean 'itest-paced'?"),
                run.transcript());
        assertTrue(run.err().contains(file + ":5: precision: 'float17' is not one of"), run.transcript());
        assertTrue(run.failure().getMessage().contains("nothing was run"), run.transcript());
        assertFalse(Files.exists(runs.resultsRoot), "nothing was written");
    }

    @Test
    void sweepVariesOneConfigFromTheCommandLine(TestInfo test) throws Exception {
        runs(test, ExperimentRuns.pacedBackend());
        Path config = runs.write("exp.yaml", runs.config(1));
        Shell.Outcome dry = new Shell(processor).execute("lem:sweep " + config
                + " --vary batching.batch_size=1,2 --vary prompts.count=2,3 --cycles 2 --order shuffled --seed 3 --dry-run");
        assertFalse(dry.failed(), dry.transcript());
        for (String name : EXPERIMENTS) {
            assertTrue(dry.out().contains(name), dry.transcript());
        }
        assertTrue(dry.out().contains("8 runs: 4 experiment(s) x 2 campaign cycle(s), shuffled (seed 3)"), dry.transcript());

        Shell.Outcome bad = new Shell(processor).execute("lem:sweep " + config + " --vary batching.batch_size");
        assertTrue(bad.failed());
        assertTrue(bad.failure().getMessage().contains("is not key.path=v1,v2,..."), bad.transcript());
    }
}
