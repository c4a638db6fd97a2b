package lem.runtime.command;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import lem.runtime.campaign.CampaignExpansion;
import lem.runtime.campaign.CampaignFolder;
import lem.runtime.campaign.CampaignPlan;
import lem.runtime.campaign.CampaignRunner;
import lem.runtime.campaign.CampaignSpec;
import lem.runtime.campaign.CampaignSummary;
import lem.runtime.campaign.PlannedRun;
import lem.runtime.campaign.RunRecord;
import lem.runtime.campaign.slurm.SlurmClient;
import lem.runtime.campaign.slurm.SlurmJobs;
import lem.runtime.campaign.slurm.SlurmScript;
import lem.runtime.campaign.slurm.SlurmSettings;
import lem.runtime.results.ResultStore;
import lem.runtime.results.ResultsDirectory;
import lem.runtime.results.ResultsFileException;
import lem.runtime.results.UnknownExperimentException;

/**
 * {@code lem campaign submit --slurm}, {@code run-task}, {@code collect} and {@code resume --slurm}:
 * a campaign as a Slurm job array. The campaign's state is the same folder a local campaign keeps;
 * each array task runs its runs through the same campaign runner, and collect aggregates again from
 * the raw files the tasks wrote.
 */
final class SlurmCampaigns {
    static final double DEFAULT_POLL_SECONDS = 10;

    private final CampaignCommands campaigns;
    private final SlurmClient slurm;

    SlurmCampaigns(CampaignCommands campaigns, SlurmClient slurm) {
        this.campaigns = campaigns;
        this.slurm = slurm;
    }

    /** {@code submit --slurm <campaign.yaml | campaign>}: a new campaign from a file, or what an existing one lacks. */
    Object submit(String target, Path resultsRoot, boolean dryRun, PrintStream out) throws IOException {
        Path file = RunCommands.workingDirectory().resolve(target);
        if (Files.isRegularFile(file)) {
            return submitNew(file, target, dryRun, out);
        }
        if (target.matches(".*\\.(ya?ml|json)$") || target.contains("/")) {
            // meant as a campaign file, not a campaign id
            throw new CommandFailure("lem campaign submit: campaign file '" + target + "' not found (" + file + ")");
        }
        return resubmit(CampaignFolder.open(resultsRoot, target), dryRun, out);
    }

    private Object submitNew(Path file, String shownAs, boolean dryRun, PrintStream out) throws IOException {
        SlurmSettings.Read slurmRead = SlurmSettings.read(file);
        CampaignExpansion.Result expansion = campaigns.expand(file, shownAs, slurmRead.problems());
        SlurmSettings settings = slurmRead.settings();
        Path sharedDir = sharedDir(settings);
        String lemCommand = lemCommand(settings);
        CampaignSpec spec = expansion.spec();
        long now = System.currentTimeMillis();
        if (dryRun) {
            long seed = spec.seed() != null ? spec.seed() : ThreadLocalRandom.current().nextLong();
            Path campaignsDir = sharedDir.resolve(spec.outputDir()).resolve(CampaignFolder.CAMPAIGNS_DIR);
            String id = ResultsDirectory.newExperimentId(campaignsDir, spec.name(), now);
            List<List<Integer>> tasks = SlurmJobs.shard(expansion.runs(seed), settings.runsPerTask());
            Path folder = campaignsDir.resolve(id).toAbsolutePath().normalize();
            String script = SlurmScript.text(id, folder, sharedDir, lemCommand, settings, range(tasks.size()),
                    settings.runsPerTask());
            out.print(script);
            out.println();
            out.println("# would run: sbatch --parsable " + scriptPath(folder, 0));
            out.println("# dry run: " + expansion.runs(seed).size() + " runs in " + tasks.size() + " array task(s), "
                    + settings.runsPerTask() + " per task; nothing written, nothing submitted (the campaign id is an example)");
            return null;
        }
        CampaignFolder folder = CampaignRunner.create(expansion, sharedDir, now);
        CampaignPlan plan = folder.plan();
        SlurmJobs jobs = new SlurmJobs(plan.campaignId(), settings.runsPerTask(),
                SlurmJobs.shard(plan.runs(), settings.runsPerTask()), List.of());
        out.println("campaign " + plan.campaignId() + ": " + plan.runs().size() + " runs (" + plan.experiments().size()
                + " experiments x " + plan.cycles() + " cycles, " + plan.order().configName() + ", seed " + plan.seed()
                + "); state in " + folder.path());
        return submitTasks(folder, jobs, range(jobs.tasks().size()), settings, sharedDir, lemCommand, out);
    }

    /** An existing campaign: only the array tasks that hold a run not complete. */
    Object resubmit(CampaignFolder folder, boolean dryRun, PrintStream out) throws IOException {
        CampaignPlan plan = folder.plan();
        Path file = Path.of(plan.campaignFile());
        if (!Files.isRegularFile(file)) {
            throw new CommandFailure("campaign " + plan.campaignId() + " was planned from " + file
                    + ", which is gone; put it back to resubmit (its plan is in " + folder.path() + ")");
        }
        SlurmSettings.Read slurmRead = SlurmSettings.read(file);
        CampaignExpansion.Result expansion = campaigns.expand(file, file.toString(), slurmRead.problems());
        CampaignRunner.checkMatches(plan, expansion.experiments());
        SlurmSettings settings = slurmRead.settings();
        SlurmJobs jobs = SlurmJobs.read(folder);
        if (jobs == null) {
            // a campaign started on this host, continued on the cluster
            jobs = new SlurmJobs(plan.campaignId(), settings.runsPerTask(), SlurmJobs.shard(plan.runs(),
                    settings.runsPerTask()), List.of());
        } else if (jobs.latest() != null) {
            List<SlurmClient.TaskState> queued = slurm.queued(jobs.latest().jobId());
            if (!queued.isEmpty()) {
                throw new CommandFailure("campaign " + plan.campaignId() + ": job " + jobs.latest().jobId() + " still has "
                        + describe(queued) + "; wait for it (lem campaign collect " + plan.campaignId()
                        + " --wait) or cancel it (scancel " + jobs.latest().jobId() + ") before resubmitting");
            }
        }
        List<PlannedRun> missing = folder.missing();
        if (missing.isEmpty()) {
            out.println("campaign " + plan.campaignId() + ": every run is complete; nothing to submit (lem campaign collect "
                    + plan.campaignId() + " prints its table)");
            return null;
        }
        List<Integer> tasks = jobs.tasksHolding(missing);
        out.println("campaign " + plan.campaignId() + ": " + missing.size() + " of " + plan.runs().size()
                + " runs not complete, in array task(s) " + SlurmJobs.arraySpec(tasks));
        Path sharedDir = sharedDir(settings);
        String lemCommand = lemCommand(settings);
        if (dryRun) {
            out.print(SlurmScript.text(plan.campaignId(), folder.path().toAbsolutePath().normalize(), sharedDir, lemCommand,
                    settings, tasks, jobs.runsPerTask()));
            out.println();
            out.println("# would run: sbatch --parsable " + scriptPath(folder.path(), jobs.submissions().size()));
            return null;
        }
        return submitTasks(folder, jobs, tasks, settings, sharedDir, lemCommand, out);
    }

    private Object submitTasks(CampaignFolder folder, SlurmJobs jobs, List<Integer> tasks, SlurmSettings settings,
            Path sharedDir, String lemCommand, PrintStream out) throws IOException {
        Path absolute = folder.path().toAbsolutePath().normalize();
        String script = SlurmScript.text(jobs.campaignId(), absolute, sharedDir, lemCommand, settings, tasks,
                jobs.runsPerTask());
        Path scriptFile = scriptPath(absolute, jobs.submissions().size());
        // the tasks read which runs they hold from slurm.json: it is on disk before sbatch is asked
        jobs.write(folder);
        Files.writeString(scriptFile, script);
        String jobId;
        try {
            jobId = slurm.submit(scriptFile);
        } catch (lem.runtime.campaign.CampaignException e) {
            throw new CommandFailure(e.getMessage() + "; the campaign's state is in " + folder.path()
                    + ": lem campaign submit --slurm " + jobs.campaignId() + " tries again once that is fixed");
        }
        jobs.with(new SlurmJobs.Submission(jobId, tasks, scriptFile.toString(), System.currentTimeMillis())).write(folder);
        out.println("submitted job " + jobId + ": array task(s) " + SlurmJobs.arraySpec(tasks) + ", "
                + jobs.runsPerTask() + " run(s) per task; script " + scriptFile + "; each task's output in "
                + SlurmJobs.dir(folder));
        out.println("lem campaign collect " + jobs.campaignId() + " --wait  gathers the results when the array is done");
        return null;
    }

    /** {@code run-task <campaign> --task N}: the runs of one array task, on the node Slurm gave it. */
    Object runTask(CampaignFolder folder, String task, PrintStream out) throws IOException {
        int index;
        try {
            index = Integer.parseInt(task.strip());
        } catch (NumberFormatException e) {
            throw new CommandFailure("lem campaign run-task: --task '" + task + "' is not an array task index"
                    + " (SLURM_ARRAY_TASK_ID, a whole number)");
        }
        SlurmJobs jobs = SlurmJobs.read(folder);
        if (jobs == null) {
            throw new CommandFailure("campaign " + folder.plan().campaignId() + " was never submitted to Slurm (no "
                    + SlurmJobs.DIR + "/" + SlurmJobs.FILE + " in " + folder.path() + ")");
        }
        List<Integer> runs = jobs.runsOf(index);
        Path file = Path.of(folder.plan().campaignFile());
        CampaignExpansion.Result expansion = campaigns.expand(file, file.toString(), List.of());
        String node = System.getenv("SLURMD_NODENAME");
        out.println("campaign " + folder.plan().campaignId() + ", array task " + index
                + (node == null ? "" : " on " + node) + ": run(s) " + runs);
        return campaigns.runCampaign(folder, expansion.experiments(), out, new HashSet<>(runs));
    }

    /** {@code collect <campaign> [--wait]}: once the array has ended, aggregate again, the table, what is missing. */
    Object collect(CampaignFolder folder, boolean wait, double pollSeconds, PrintStream out) {
        CampaignPlan plan = folder.plan();
        SlurmJobs jobs = SlurmJobs.read(folder);
        if (jobs == null || jobs.latest() == null) {
            throw new CommandFailure("campaign " + plan.campaignId() + " was never submitted to Slurm; lem campaign show "
                    + plan.campaignId() + " prints its table");
        }
        String jobId = jobs.latest().jobId();
        boolean announced = false;
        while (true) {
            List<SlurmClient.TaskState> queued = slurm.queued(jobId);
            if (queued.isEmpty()) {
                break;
            }
            if (!wait) {
                throw new CommandFailure("campaign " + plan.campaignId() + ": job " + jobId + " still has " + describe(queued)
                        + "; lem campaign collect " + plan.campaignId() + " --wait waits for them");
            }
            if (!announced) {
                out.println("waiting for job " + jobId + ": " + describe(queued));
                announced = true;
            }
            try {
                Thread.sleep((long) (pollSeconds * 1000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommandFailure("lem campaign collect: interrupted while waiting for job " + jobId);
            }
        }
        Map<Integer, SlurmClient.TaskState> ended = new LinkedHashMap<>();
        Optional<List<SlurmClient.TaskState>> accounting = slurm.accounting(jobId);
        accounting.ifPresent(states -> states.forEach(s -> ended.put(s.task(), s)));
        // late aggregation: every complete run's result again from its raw files, the source of truth
        Map<Integer, RunRecord> records = folder.records();
        List<String> notes = new ArrayList<>();
        int aggregated = 0;
        for (RunRecord record : records.values()) {
            if (!record.complete() || record.resultDirectory() == null) {
                continue;
            }
            Path directory = Path.of(record.resultDirectory());
            try {
                new ResultStore(directory.getParent()).aggregate(directory.getFileName().toString());
                aggregated++;
            } catch (IOException | ResultsFileException | UnknownExperimentException e) {
                notes.add("run " + record.index() + ": aggregating " + directory + " again failed: " + e.getMessage());
            }
        }
        List<String> missing = new ArrayList<>();
        for (PlannedRun run : plan.runs()) {
            RunRecord record = records.get(run.index());
            if (record != null && record.complete()) {
                continue;
            }
            int task = jobs.taskOf(run.index());
            SlurmClient.TaskState state = ended.get(task);
            missing.add("run " + run.index() + " (" + plan.experiments().get(run.experiment()).name() + ", campaign cycle "
                    + run.cycle() + ", array task " + task + "): " + reason(record)
                    + (state == null ? "" : "; Slurm: " + jobId + "_" + task + " " + state.state()
                            + (state.exitCode().isEmpty() ? "" : " (exit " + state.exitCode() + ")")));
        }
        int complete = plan.runs().size() - missing.size();
        String status = "job " + jobId + " ended; " + complete + " of " + plan.runs().size() + " runs complete, "
                + aggregated + " aggregated again from their raw files"
                + (accounting.isPresent() ? "" : " (sacct keeps no accounting here; the run records say what ran)");
        out.print(TableFormat.render(CampaignTables.summary(CampaignSummary.of(folder, CampaignSummary.DEFAULT_METRICS),
                status)));
        notes.forEach(n -> out.println("note: " + n));
        if (!missing.isEmpty()) {
            out.println("Runs not complete:");
            missing.forEach(m -> out.println("  " + m));
            throw new CommandFailure("campaign " + plan.campaignId() + ": " + missing.size() + " run(s) not complete; lem "
                    + "campaign resume " + plan.campaignId() + " --slurm resubmits only their array task(s) "
                    + SlurmJobs.arraySpec(jobs.tasksHolding(folder.missing())));
        }
        return null;
    }

    private static String reason(RunRecord record) {
        if (record == null) {
            return "never started (its array task did not run it)";
        }
        return switch (record.state()) {
        case RUNNING -> "still marked running, but its array task has ended (killed hard, or its node failed)";
        case COMPLETE -> "complete";
        default -> record.state().name().toLowerCase(Locale.ROOT) + (record.reason() == null ? "" : ": " + record.reason());
        };
    }

    private static String describe(List<SlurmClient.TaskState> queued) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        queued.forEach(t -> counts.merge(t.state().toLowerCase(Locale.ROOT), 1, Integer::sum));
        List<String> parts = new ArrayList<>();
        counts.forEach((state, n) -> parts.add(n + " " + state));
        return queued.size() + " array task(s) in the queue (" + String.join(", ", parts) + ")";
    }

    private static List<Integer> range(int n) {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(i);
        }
        return all;
    }

    private static Path scriptPath(Path campaignFolder, int submission) {
        return campaignFolder.resolve(SlurmJobs.DIR).resolve("array_" + submission + ".sh");
    }

    private static Path sharedDir(SlurmSettings settings) {
        Path dir = settings.sharedDir() == null ? RunCommands.workingDirectory()
                : RunCommands.workingDirectory().resolve(settings.sharedDir());
        dir = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new CommandFailure("slurm.shared_dir '" + dir + "' is not a folder; it must exist and every node must see it");
        }
        return dir;
    }

    /** {@code slurm.lem_command}, or the launcher that started this lem ({@code lem.home}/bin/lem). */
    private static String lemCommand(SlurmSettings settings) {
        if (settings.lemCommand() != null) {
            return settings.lemCommand();
        }
        String home = System.getProperty("lem.home");
        Path launcher = home == null ? null : Path.of(home, "bin", "lem").toAbsolutePath().normalize();
        if (launcher == null || !Files.isRegularFile(launcher)) {
            throw new CommandFailure("slurm.lem_command is not set and this lem was not started by its launcher"
                    + " (bin/lem); set slurm.lem_command to the command that starts lem on the nodes");
        }
        return SlurmScript.shellQuote(launcher.toString());
    }
}
