package lem.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The distribution's campaign as a job array on a real one-node Slurm ({@link OneNodeSlurm}: munged,
 * slurmctld and slurmd started here): {@code lem campaign submit --slurm}, an array task terminated
 * with SIGTERM mid-run as a time limit would, {@code collect --wait} naming it incomplete,
 * {@code resume --slurm} resubmitting only that task, and {@code collect} then complete.
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class SlurmCampaignIT {
    /** Each lem command, and the wait for an array task to start, at most this long. */
    private static final long COMMAND_TIMEOUT_SECONDS = 300;

    @TempDir
    Path work;

    /**
     * The issue's campaign: the quickstart (the repository's examples/quickstart.yaml) with few tokens,
     * a 2 x 2 grid over batch size and precision, 2 campaign cycles, interleaved.
     */
    private void campaign() throws IOException {
        Path quickstart = Path.of(System.getProperty("user.dir")).getParent().resolve("examples/quickstart.yaml");
        assertTrue(Files.isRegularFile(quickstart), quickstart + " is the quickstart this test extends");
        Files.writeString(work.resolve("campaign.yaml"), """
                name: slurm-grid
                base:
                  _extends: %s
                  decoder: {min_new_tokens: 8, max_new_tokens: 8}
                  prompts: {count: 4, synthetic: {input_tokens: 8}}
                  warmup: {enabled: false}
                  baseline: {enabled: false}
                  cycles: 1
                grid:
                  batching.batch_size: [1, 2]
                  precision: [float32, float16]
                cycles: 2
                order: interleaved
                slurm:
                  cpus_per_task: 1
                  mem: 512M
                  time_limit: "10:00"
                  runs_per_task: 2
                """.formatted(quickstart));
    }

    private record Finished(int status, String output) {
    }

    private Finished lem(OneNodeSlurm slurm, String name, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(RunStateIT.LEM.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve(name + ".out").toFile());
        // the array tasks get this environment too (sbatch exports it): the same Slurm, the same model cache
        builder.environment().put("SLURM_CONF", slurm.conf().toString());
        builder.environment().put("LEM_CACHE_DIR", work.resolve("cache").toString());
        Process p = builder.start();
        if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("lem " + String.join(" ", args) + " still runs after " + COMMAND_TIMEOUT_SECONDS
                    + " s:\n" + Files.readString(work.resolve(name + ".out")) + "\n" + slurm.logs());
        }
        return new Finished(p.exitValue(), Files.readString(work.resolve(name + ".out")));
    }

    private Path campaignFolder() throws IOException {
        try (Stream<Path> children = Files.list(work.resolve("results/campaigns"))) {
            List<Path> dirs = children.filter(d -> Files.isRegularFile(d.resolve("plan.json"))).toList();
            assertEquals(1, dirs.size(), dirs::toString);
            return dirs.get(0);
        }
    }

    private static JsonNode json(Path file) throws IOException {
        return new ObjectMapper().readTree(file.toFile());
    }

    /** Run index to its record, for every run that started. */
    private static Map<Integer, JsonNode> records(Path folder) throws IOException {
        Map<Integer, JsonNode> records = new HashMap<>();
        try (Stream<Path> files = Files.list(folder.resolve("runs"))) {
            for (Path f : files.filter(f -> f.getFileName().toString().matches("run_\\d+\\.json")).toList()) {
                JsonNode record = json(f);
                records.put(record.get("index").asInt(), record);
            }
        }
        return records;
    }

    /** Waits for the first run record marked running: an array task that is measuring now. */
    private static int awaitRunningRun(Path folder, OneNodeSlurm slurm) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(COMMAND_TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(folder.resolve("runs"))) {
                try {
                    for (Map.Entry<Integer, JsonNode> e : records(folder).entrySet()) {
                        if (e.getValue().get("state").asText().equals("RUNNING")) {
                            return e.getKey();
                        }
                    }
                } catch (IOException | java.io.UncheckedIOException e) {
                    // a record renamed into place while it was read: look again
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no array task started a run:\n" + slurm.run("squeue") + slurm.logs());
    }

    private static int taskOf(JsonNode slurmJson, int run) {
        JsonNode tasks = slurmJson.get("tasks");
        for (int t = 0; t < tasks.size(); t++) {
            for (JsonNode r : tasks.get(t)) {
                if (r.asInt() == run) {
                    return t;
                }
            }
        }
        throw new AssertionError("run " + run + " is in no task of " + slurmJson);
    }

    /** The summary table's rows: the lines that start with the experiment name. */
    private static List<String> rows(String output) {
        return output.lines().filter(l -> l.startsWith("quickstart-batching.batch_size=")).toList();
    }

    @Test
    void aCampaignRunsAsAJobArrayATaskTerminatedMidRunIsResubmittedAloneAndCollectCompletesTheTable() throws Exception {
        try (OneNodeSlurm slurm = new OneNodeSlurm(Files.createDirectories(work.resolve("slurm-cluster")))) {
            slurm.start();
            campaign();

            Finished submit = lem(slurm, "submit", "campaign", "submit", "--slurm", "campaign.yaml");
            assertEquals(0, submit.status(), submit.output());
            Path folder = campaignFolder();
            String id = folder.getFileName().toString();
            JsonNode jobs = json(folder.resolve("slurm/slurm.json"));
            String jobId = jobs.get("submissions").get(0).get("job_id").asText();
            assertTrue(submit.output().contains("submitted job " + jobId + ": array task(s) 0-3, 2 run(s) per task"),
                    submit.output());
            assertEquals("[[0,1],[2,3],[4,5],[6,7]]", jobs.get("tasks").toString(), "2 runs per task, in plan order");
            String script = Files.readString(folder.resolve("slurm/array_0.sh"));
            assertTrue(script.contains("#SBATCH --array=0-3\n") && script.contains("#SBATCH --signal=B:TERM@")
                    && script.contains("#SBATCH --mem=512M\n") && script.contains("#SBATCH --time=10:00\n"), script);

            // a time limit's SIGTERM, now: the task's batch shell is lem itself (exec)
            int cancelledRun = awaitRunningRun(folder, slurm);
            int task = taskOf(jobs, cancelledRun);
            slurm.run("scancel", "--full", "--signal=TERM", jobId + "_" + task);

            Finished first = lem(slurm, "collect1", "campaign", "collect", id, "--wait", "--poll-s", "0.5");
            assertEquals(1, first.status(), "runs are missing: the command fails after printing\n" + first.output());
            assertEquals(4, rows(first.output()).size(), first.output());
            assertTrue(first.output().contains("Runs not complete:"), first.output());
            assertTrue(first.output().contains("resubmits only their array task(s) " + task), first.output());
            Map<Integer, JsonNode> records = records(folder);
            List<Integer> cancelled = new ArrayList<>();
            for (int run = 0; run < 8; run++) {
                JsonNode record = records.get(run);
                if (taskOf(jobs, run) != task) {
                    assertEquals("COMPLETE", record.get("state").asText(), "run " + run + ": " + record);
                } else if (record != null && record.get("state").asText().equals("CANCELLED")) {
                    cancelled.add(run);
                    assertEquals("terminated by SIGTERM", record.get("reason").asText(), record::toString);
                    JsonNode status = json(Path.of(record.get("result_directory").asText()).resolve("status.json"));
                    assertEquals("INCOMPLETE", status.get("state").asText(), status::toString);
                    assertTrue(first.output().contains("run " + run + " (") && first.output().contains(
                            "array task " + task + "): cancelled: terminated by SIGTERM"), first.output());
                }
            }
            assertEquals(1, cancelled.size(), "the run in flight when SIGTERM came is marked incomplete: " + records);
            assertTrue(Files.readString(folder.resolve("slurm/task_" + task + ".job_" + jobId + ".out"))
                    .contains("terminated by SIGTERM"), "the task's own output is in the campaign's slurm folder");
            Map<Integer, Long> startedBefore = new HashMap<>();
            records.forEach((run, r) -> startedBefore.put(run, r.get("started_epoch_millis").asLong()));

            Finished resume = lem(slurm, "resume", "campaign", "resume", id, "--slurm");
            assertEquals(0, resume.status(), resume.output());
            assertTrue(resume.output().contains("in array task(s) " + task), resume.output());
            JsonNode resubmitted = json(folder.resolve("slurm/slurm.json")).get("submissions").get(1);
            assertEquals("[" + task + "]", resubmitted.get("tasks").toString(), "only the task with missing runs");
            assertTrue(Files.readString(folder.resolve("slurm/array_1.sh")).contains("#SBATCH --array=" + task + "\n"));

            // late aggregation: collect rebuilds a complete run's result from its raw files
            int untouched = task == 0 ? 2 : 0;
            Path result = Path.of(records.get(untouched).get("result_directory").asText()).resolve("result.json");
            Files.delete(result);

            Finished last = lem(slurm, "collect2", "campaign", "collect", id, "--wait", "--poll-s", "0.5");
            assertEquals(0, last.status(), last.output());
            assertTrue(last.output().contains("8 of 8 runs complete, 8 aggregated again from their raw files"),
                    last.output());
            List<String> rows = rows(last.output());
            assertEquals(4, rows.size(), last.output());
            for (String row : rows) {
                assertTrue(row.matches("\\S+\\s+[12]\\s+float(16|32)\\s+2/2\\s+\\d.*"), "every experiment 2 of 2: " + row);
            }
            assertTrue(Files.isRegularFile(result), "result.json aggregated again");
            assertFalse(last.output().contains("Runs not complete"), last.output());
            Map<Integer, JsonNode> after = records(folder);
            for (int run = 0; run < 8; run++) {
                if (!cancelled.contains(run) && after.get(run) != null && startedBefore.containsKey(run)
                        && records.get(run).get("state").asText().equals("COMPLETE")) {
                    assertEquals(startedBefore.get(run), after.get(run).get("started_epoch_millis").asLong(),
                            "run " + run + " was complete and is not run again");
                }
            }
            JsonNode rerun = after.get(cancelled.get(0));
            assertEquals("COMPLETE", rerun.get("state").asText());
            assertTrue(rerun.get("earlier_attempts").toString().contains("cancelled: terminated by SIGTERM"),
                    rerun::toString);

            Finished typo = lem(slurm, "typo", "campaign", "submit", "--slurm", "campain.yaml");
            assertEquals(1, typo.status(), typo.output());
            assertTrue(typo.output().contains("campaign file 'campain.yaml' not found"), typo.output());
            assertFalse(typo.output().contains("\tat "), "no stack trace: " + typo.output());
        }
    }
}
